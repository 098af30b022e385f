import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bodyObject,
  compact,
  descendants,
  evaluate,
  evaluateVariables,
  filesUnder,
  INFRA,
  loadBicep,
  type Node,
  outputs,
  params,
  properties,
  ROOT,
  stringLiteral,
} from './bicep';

const main = loadBicep(path.join(INFRA, 'main.bicep'));
const alerts = loadBicep(path.join(INFRA, 'app/alerts.bicep'));

interface Rule {
  name: string;
  displayName: string;
  description: string;
  severity: number;
  enabled: boolean;
  windowSize: string;
  criterion: {
    query: string;
    timeAggregation: string;
    metricMeasureColumn?: string;
    operator: string;
    threshold: number;
    failingPeriods: { numberOfEvaluationPeriods: number; minFailingPeriodsToAlert: number };
  };
}

/** The module's params at their defaults, overridden by `inputs`. */
function defaults(inputs: Record<string, unknown> = {}): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  for (const node of alerts.tree.rootNode.namedChildren) {
    if (node.type !== 'parameter_declaration') continue;
    const value = node.namedChildren[2];
    if (value) scope[node.namedChildren[0]!.text] = evaluate(value, scope);
  }
  return { nameSuffix: 'token', actionGroup: { id: 'action-group-id' }, ...scope, ...inputs };
}

function rules(inputs: Record<string, unknown> = {}): Rule[] {
  return evaluateVariables(alerts, defaults(inputs)).rules as Rule[];
}

function paramDeclaration(file: typeof main, name: string): Node {
  const node = file.tree.rootNode.namedChildren.find(
    (child) => child.type === 'parameter_declaration' && child.namedChildren[0]!.text === name,
  );
  expect(node, `param ${name} in ${path.basename(file.file)}`).toBeDefined();
  return node!;
}

function resource(file: typeof main, symbol: string): Node {
  const node = descendants(file.tree.rootNode, 'resource_declaration').find(
    (child) => child.namedChildren[0]!.text === symbol,
  );
  expect(node, `resource ${symbol}`).toBeDefined();
  return node!;
}

/** main.bicep param → alerts.bicep param it feeds. */
const PASSED = {
  alertEmail: 'alertEmail',
  syncAlertRetainedWalGiB: 'retainedWalThresholdGiB',
  syncAlertLagSeconds: 'lagThresholdSeconds',
  syncAlertWindowMinutes: 'windowMinutes',
  syncAlertStoppedMinutes: 'stoppedMinutes',
  syncAlertStoppedEnabled: 'stoppedAlertEnabled',
};

describe('infra: sync alerts', () => {
  const module = descendants(main.tree.rootNode, 'module_declaration').find(
    (node) => node.namedChildren[0]!.text === 'alerts',
  );
  const passed = properties(properties(bodyObject(module!)!).get('params')!);

  it('main.bicep wires app/alerts.bicep to Application Insights and its alert params', () => {
    expect(stringLiteral(module!.namedChildren[1])).toBe('app/alerts.bicep');
    expect(passed.get('applicationInsightsName')!.text).toBe(
      'monitoring.outputs.applicationInsightsName',
    );
    expect(compact(passed.get('actionGroupName')!.text)).toBe(
      "'${abbrs.insightsActionGroups}${resourceToken}'",
    );
    expect(passed.get('nameSuffix')!.text).toBe('resourceToken');
    for (const [mainParam, moduleParam] of Object.entries(PASSED)) {
      expect(passed.get(moduleParam)?.text, moduleParam).toBe(mainParam);
    }
  });

  it('main.bicep defaults: 10 GiB, 300 s, 15 min windows, stopped alert on, no email', () => {
    const value = (name: string) => evaluate(paramDeclaration(main, name).namedChildren[2]!, {});
    expect(value('syncAlertRetainedWalGiB')).toBe(10);
    expect(value('syncAlertLagSeconds')).toBe(300);
    expect(value('syncAlertWindowMinutes')).toBe(15);
    expect(value('syncAlertStoppedMinutes')).toBe(15);
    expect(value('syncAlertStoppedEnabled')).toBe(true);
    expect(value('alertEmail')).toBe('');
    // Same defaults in the module, so neither side surprises.
    const moduleDefaults = defaults();
    for (const [mainParam, moduleParam] of Object.entries(PASSED)) {
      expect(moduleDefaults[moduleParam], moduleParam).toEqual(value(mainParam));
    }
  });

  it('main.bicep accepts no value the module rejects (same @allowed and @minValue)', () => {
    for (const [mainParam, moduleParam] of Object.entries(PASSED)) {
      for (const decorator of ['allowed', 'minValue', 'maxValue']) {
        const [ours] = params(main)
          .filter((param) => param.name === mainParam)
          .map((param) => param.decorators.get(decorator)?.text);
        const [theirs] = params(alerts)
          .filter((param) => param.name === moduleParam)
          .map((param) => param.decorators.get(decorator)?.text);
        expect(ours && compact(ours), `@${decorator} of ${mainParam}`).toEqual(
          theirs && compact(theirs),
        );
      }
    }
  });

  it('main.parameters.json feeds the alert params from the azd environment', () => {
    const file = JSON.parse(fs.readFileSync(path.join(INFRA, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: string }>;
    };
    expect(file.parameters.alertEmail?.value).toBe('${ALERT_EMAIL}');
    expect(file.parameters.syncAlertRetainedWalGiB?.value).toBe(
      '${SYNC_ALERT_RETAINED_WAL_GIB=10}',
    );
    expect(file.parameters.syncAlertLagSeconds?.value).toBe('${SYNC_ALERT_LAG_SECONDS=300}');
    for (const name of Object.keys(PASSED)) expect(file.parameters, name).toHaveProperty(name);
  });

  it('fires when retained WAL or lag exceeds its threshold, and when no lag metric arrives', () => {
    const [wal, lag, stopped] = rules();
    expect(rules().map((rule) => rule.name)).toEqual([
      'sync-retained-wal-token',
      'sync-lag-token',
      'sync-stopped-token',
    ]);
    expect(wal!.criterion).toMatchObject({
      timeAggregation: 'Maximum',
      metricMeasureColumn: 'retainedWalGiB',
      operator: 'GreaterThan',
      threshold: 10,
    });
    // Bytes to GiB in the query, so the threshold stays a small int.
    expect(wal!.criterion.query).toContain('/ 1073741824');
    expect(lag!.criterion).toMatchObject({
      timeAggregation: 'Average',
      metricMeasureColumn: 'lagSeconds',
      operator: 'GreaterThan',
      threshold: 300,
    });
    expect(stopped!.criterion).toMatchObject({
      timeAggregation: 'Count',
      operator: 'LessThan',
      threshold: 1,
    });
    expect(stopped!.criterion.metricMeasureColumn).toBeUndefined();
    for (const rule of rules()) {
      expect(rule.windowSize, rule.name).toBe('PT15M');
      expect(rule.enabled, rule.name).toBe(true);
      expect(rule.criterion.query, rule.name).toMatch(/^customMetrics \| where name == "/);
      expect(rule.criterion.failingPeriods).toEqual({
        numberOfEvaluationPeriods: 1,
        minFailingPeriodsToAlert: 1,
      });
      expect([0, 1, 2, 3, 4]).toContain(rule.severity);
    }
  });

  it('follows its params: thresholds, windows (60 min is PT1H), the stopped rule off', () => {
    const [wal, lag, stopped] = rules({
      retainedWalThresholdGiB: 50,
      lagThresholdSeconds: 60,
      windowMinutes: 60,
      stoppedMinutes: 30,
      stoppedAlertEnabled: false,
    });
    expect(wal!.criterion.threshold).toBe(50);
    expect(wal!.displayName).toContain('50 GiB');
    expect(lag!.criterion.threshold).toBe(60);
    expect([wal!.windowSize, lag!.windowSize]).toEqual(['PT1H', 'PT1H']);
    expect(stopped!.windowSize).toBe('PT30M');
    expect([wal!.enabled, lag!.enabled, stopped!.enabled]).toEqual([true, true, false]);
  });

  it('queries only metrics the app tracks (src: metrics.track)', () => {
    const queried = new Set(
      rules().flatMap((rule) =>
        [...rule.criterion.query.matchAll(/name == "([^"]+)"/g)].map((m) => m[1]!),
      ),
    );
    expect([...queried].sort()).toEqual(['sync.lagSeconds', 'sync.retainedWalBytes']);
    const tracked = new Set(
      filesUnder(path.join(ROOT, 'src'), '.ts').flatMap((file) =>
        [...fs.readFileSync(file, 'utf8').matchAll(/\.track\(\s*'([\w.]+)'/g)].map((m) => m[1]!),
      ),
    );
    for (const name of queried) expect(tracked, `${name} is tracked by src`).toContain(name);
  });

  it('makes log search alerts scoped to the component, GA API, no identity, evaluated ≤ window', () => {
    const rule = resource(alerts, 'scheduledQueryRules');
    expect(stringLiteral(rule.namedChildren[1])).toMatch(
      /^Microsoft\.Insights\/scheduledQueryRules@\d{4}-\d{2}-\d{2}$/,
    );
    const loop = rule.namedChildren.find((node) => node.type === 'for_statement');
    expect(loop?.namedChildren[1]!.text).toBe('rules');
    const body = properties(bodyObject(rule)!);
    expect(stringLiteral(body.get('kind'))).toBe('LogAlert');
    expect(body.has('identity')).toBe(false);
    const props = properties(body.get('properties')!);
    expect(compact(props.get('scopes')!.text)).toBe('[ applicationInsights.id ]');
    expect(compact(props.get('criteria')!.text)).toBe('{ allOf: [ rule.criterion ] }');
    expect(props.get('windowSize')!.text).toBe('rule.windowSize');
    expect(props.get('enabled')!.text).toBe('rule.enabled');
    expect(compact(props.get('actions')!.text)).toBe('{ actionGroups: actionGroups }');
    const component = resource(alerts, 'applicationInsights');
    expect(component.text).toMatch(/' existing = \{\s*name: applicationInsightsName\s*\}/);
    // Every rule runs every 5 minutes, so no window may be shorter.
    expect(evaluateVariables(alerts, defaults()).evaluationFrequency).toBe('PT5M');
    for (const name of ['windowMinutes', 'stoppedMinutes']) {
      const allowed = evaluate(
        params(alerts)
          .find((p) => p.name === name)!
          .decorators.get('allowed')!.namedChildren[0]!,
        {},
      );
      expect(
        (allowed as number[]).every((minutes) => minutes >= 5),
        name,
      ).toBe(true);
    }
  });

  it('makes an email action group only when alertEmail is set', () => {
    const group = resource(alerts, 'actionGroup');
    const condition = group.namedChildren.find((node) => node.type === 'if_statement');
    expect(compact(condition!.namedChildren[0]!.text)).toBe('(!empty(alertEmail))');
    const props = properties(properties(bodyObject(group)!).get('properties')!);
    const shortName = stringLiteral(props.get('groupShortName'))!;
    expect(shortName.length).toBeLessThanOrEqual(12);
    expect(compact(props.get('emailReceivers')!.text)).toContain('emailAddress: alertEmail');
    const groups = (alertEmail: string) =>
      evaluateVariables(alerts, defaults({ alertEmail })).actionGroups;
    expect(groups('')).toEqual([]);
    expect(groups('ops@example.com')).toEqual(['action-group-id']);
  });

  it('documents every param and output, and assigns no role (rules have no identity)', () => {
    const undocumented = [...params(alerts), ...outputs(alerts)].filter(
      (declaration) => !declaration.decorators.has('description'),
    );
    expect(undocumented.map((declaration) => declaration.name)).toEqual([]);
    expect(alerts.source).not.toMatch(/roleAssignments@|identity:/);
  });
});
