import { CONTAINERS } from '../cosmos/containers';
import { comparePolicies } from './index-policy';
import { TargetInspector } from './ports';
import { Check, check } from './report';
import { firstLine } from './source-checks';

export interface TargetChecks {
  checks: Check[];
  notRun: string[];
}

/** Reachable, database present, and every container of containers.json as it defines it. */
export async function checkTarget(
  target: TargetInspector,
  database: string,
): Promise<TargetChecks> {
  const checks: Check[] = [];
  try {
    const { endpoint } = await target.account();
    checks.push(check('target.reachable', 'Cosmos DB reachable', 'pass', `${endpoint} answered`));
  } catch (error) {
    checks.push(check('target.reachable', 'Cosmos DB reachable', 'fail', firstLine(error)));
    return { checks, notRun: ['database and container checks: Cosmos DB is not reachable'] };
  }
  const title = `database ${database}`;
  try {
    if (!(await target.databaseExists())) {
      checks.push(
        check(
          'target.database',
          title,
          'fail',
          'does not exist: run `cosmos-migration init-target` (or azd provision)',
        ),
      );
      return { checks, notRun: [`container checks: database ${database} does not exist`] };
    }
    checks.push(check('target.database', title, 'pass', 'exists'));
  } catch (error) {
    checks.push(check('target.database', title, 'fail', firstLine(error)));
    return { checks, notRun: [`container checks: database ${database} could not be read`] };
  }
  for (const definition of CONTAINERS) {
    checks.push(await checkContainer(target, definition));
  }
  return { checks, notRun: [] };
}

async function checkContainer(
  target: TargetInspector,
  definition: (typeof CONTAINERS)[number],
): Promise<Check> {
  const id = `target.container.${definition.name}`;
  const title = `container ${definition.name}`;
  try {
    const container = await target.container(definition.name);
    if (!container) {
      return check(
        id,
        title,
        'fail',
        'missing: run `cosmos-migration init-target` (or azd provision)',
      );
    }
    const paths = container.partitionKeyPaths;
    if (paths.length !== 1 || paths[0] !== definition.partitionKeyPath) {
      // The partition key cannot change after creation: the container must be recreated.
      return check(
        id,
        title,
        'fail',
        `partition key is ${paths.join(', ') || '(none)'}, expected ${definition.partitionKeyPath} (recreate the container)`,
      );
    }
    const { problems, extras } = comparePolicies(
      definition.indexingPolicy,
      container.indexingPolicy,
    );
    const policy = definition.indexingPolicy
      ? 'the expected index policy'
      : 'the default index policy';
    if (problems.length > 0) {
      return check(
        id,
        title,
        'fail',
        `index policy differs: ${[...problems, ...extras].join('; ')}`,
      );
    }
    if (extras.length > 0) {
      return check(id, title, 'warn', `index policy ${extras.join('; ')}`);
    }
    if (definition.defaultTtl !== null && container.defaultTtl === undefined) {
      return check(
        id,
        title,
        'warn',
        `TTL is off, so ${definition.name === 'migration' ? "the router's metric windows" : `the sync's tombstones of deleted ${definition.name}`} never expire: set the container's time to live to "on (no default)" (defaultTtl -1)`,
      );
    }
    if (container.partitionKeyVersion < definition.partitionKeyVersion) {
      return check(
        id,
        title,
        'warn',
        `partition key version ${container.partitionKeyVersion} hashes only the first 100 bytes: keys longer than that (lookups of long usernames or emails) share a logical partition; recreate the container for version ${definition.partitionKeyVersion}`,
      );
    }
    return check(id, title, 'pass', `partition key ${definition.partitionKeyPath}, ${policy}`);
  } catch (error) {
    return check(id, title, 'fail', firstLine(error));
  }
}
