// Alerts on the continuous sync, from the custom metrics the sync-changes timer sends to
// Application Insights on every run (src/shared/observability/metrics.ts, trackMetric):
// sync.retainedWalBytes and sync.lagSeconds.
//
// Log search alerts (Microsoft.Insights/scheduledQueryRules) over the `customMetrics` table of
// the workspace-based component, not metric alerts (Microsoft.Insights/metricAlerts) on the
// component's custom metrics, because:
// - a metric alert on a custom metric fails validation until the metric has been emitted once
//   (on a fresh deployment it has not), unless validation is skipped; and custom metrics sent
//   with properties reach the metrics store with their dimensions only once "custom metrics
//   with dimensions" is turned on for the component, a setting outside this template;
// - a metric alert does not fire on a series that stops arriving, and "the sync stopped" is
//   exactly that; a log alert counts rows, so "no sync.lagSeconds for N minutes" is a count
//   below 1 (zero rows count as 0 when the rule has no dimensions);
// - the query reads what was ingested, whatever the SDK pre-aggregated (valueSum/valueCount,
//   valueMax), with no setting on the component.
//
// No identity on the rules: a log search alert on an Application Insights resource queries it
// through the alerting service (the managed identity of a rule is only needed for queries across
// services, e.g. Azure Data Explorer or Resource Graph). Creating a rule needs read on its scope,
// which the deploying principal has. So no role assignment here, nor in rbac.bicep.

@description('Suffix of the rule names (the resource token), e.g. sync-retained-wal-<suffix>.')
param nameSuffix string

@description('Azure region of the alert rules (that of Application Insights).')
param location string

@description('Tags applied to the alert rules and the action group.')
param tags object = {}

@description('Name of the Application Insights component the function app sends its metrics to: the scope of every rule.')
param applicationInsightsName string

@description('Name of the action group made when alertEmail is set.')
param actionGroupName string

@description('Email address the alerts are sent to (an action group with one email receiver, common alert schema); empty: no action group, the alerts show in the portal only.')
param alertEmail string = ''

@description('Retained WAL of the replication slot, in GiB, above which the retained-WAL alert fires (the highest sync.retainedWalBytes of the window).')
@minValue(1)
param retainedWalThresholdGiB int = 10

@description('Replication lag in seconds above which the lag alert fires (the average sync.lagSeconds of the window).')
@minValue(1)
param lagThresholdSeconds int = 300

@description('Minutes of metrics the retained-WAL and lag rules look at (their window); every rule is evaluated every 5 minutes.')
@allowed([
  5
  10
  15
  30
  60
])
param windowMinutes int = 15

@description('Minutes without any sync.lagSeconds metric after which the sync-stopped alert fires; keep it well above the SYNC_SCHEDULE interval and the ingestion delay (a few minutes).')
@allowed([
  10
  15
  30
  60
])
param stoppedMinutes int = 15

@description('Whether the sync-stopped rule is enabled. It also fires while no sync runs on purpose (before the first migrate with sync, after `sync stop`, one-shot copies only): turn it off then.')
param stoppedAlertEnabled bool = true

var evaluationFrequency = 'PT5M'
var windowSize = windowMinutes == 60 ? 'PT1H' : 'PT${windowMinutes}M'
var stoppedWindowSize = stoppedMinutes == 60 ? 'PT1H' : 'PT${stoppedMinutes}M'
var bytesPerGiB = 1073741824

// Custom metric names, as the sync-changes timer tracks them.
var metrics = {
  retainedWal: 'sync.retainedWalBytes'
  lag: 'sync.lagSeconds'
}

// One condition each, no dimensions, one failing evaluation fires (the window already spans
// several sync runs). Rows may be pre-aggregated by the SDK: valueMax is the highest value of a
// row, valueSum / valueCount its mean; `value` alone is the sum of an aggregated row.
var rules = [
  {
    name: 'sync-retained-wal-${nameSuffix}'
    displayName: 'Sync: retained WAL above ${retainedWalThresholdGiB} GiB'
    description: 'The replication slot of the continuous sync holds more than ${retainedWalThresholdGiB} GiB of WAL on the source PostgreSQL (highest ${metrics.retainedWal} over ${windowMinutes} min). The source disk fills while it grows: check `cosmos-migration sync status`, catch up, or stop the sync (drops the slot).'
    // Highest, not average: disk usage on the source is what matters.
    severity: 1
    enabled: true
    windowSize: windowSize
    criterion: {
      query: 'customMetrics | where name == "${metrics.retainedWal}" | extend retainedWalGiB = todouble(coalesce(valueMax, value)) / ${bytesPerGiB}'
      timeAggregation: 'Maximum'
      metricMeasureColumn: 'retainedWalGiB'
      operator: 'GreaterThan'
      threshold: retainedWalThresholdGiB
      failingPeriods: {
        numberOfEvaluationPeriods: 1
        minFailingPeriodsToAlert: 1
      }
    }
  }
  {
    name: 'sync-lag-${nameSuffix}'
    displayName: 'Sync: lag above ${lagThresholdSeconds} s'
    description: 'Cosmos DB is more than ${lagThresholdSeconds} s behind the source PostgreSQL (average ${metrics.lag} over ${windowMinutes} min): the sync rounds do not keep up or fail. Check `cosmos-migration sync status` and the sync-changes logs.'
    // Average: one slow round (a large transaction) does not page anyone.
    severity: 2
    enabled: true
    windowSize: windowSize
    criterion: {
      query: 'customMetrics | where name == "${metrics.lag}" | extend lagSeconds = todouble(coalesce(valueSum, value)) / coalesce(valueCount, 1)'
      timeAggregation: 'Average'
      metricMeasureColumn: 'lagSeconds'
      operator: 'GreaterThan'
      threshold: lagThresholdSeconds
      failingPeriods: {
        numberOfEvaluationPeriods: 1
        minFailingPeriodsToAlert: 1
      }
    }
  }
  {
    name: 'sync-stopped-${nameSuffix}'
    displayName: 'Sync: no lag metric for ${stoppedMinutes} min'
    description: 'No ${metrics.lag} metric arrived for ${stoppedMinutes} min: the sync-changes timer is not running, fails before it measures, or cannot send telemetry. Check the function app and its sync-changes logs. Expected while no sync runs on purpose; the rule can be turned off then.'
    severity: 1
    enabled: stoppedAlertEnabled
    windowSize: stoppedWindowSize
    criterion: {
      query: 'customMetrics | where name == "${metrics.lag}"'
      timeAggregation: 'Count'
      operator: 'LessThan'
      threshold: 1
      failingPeriods: {
        numberOfEvaluationPeriods: 1
        minFailingPeriodsToAlert: 1
      }
    }
  }
]

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'cosmos-sync'
    enabled: true
    emailReceivers: [
      {
        name: 'email'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroups = empty(alertEmail) ? [] : [actionGroup.id]

resource scheduledQueryRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: rule.name
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: rule.enabled
      scopes: [
        applicationInsights.id
      ]
      evaluationFrequency: evaluationFrequency
      windowSize: rule.windowSize
      criteria: {
        allOf: [
          rule.criterion
        ]
      }
      // Resolved on its own once the condition clears (e.g. the metrics arrive again).
      autoMitigate: true
      actions: {
        actionGroups: actionGroups
      }
    }
  }
]

@description('Names of the alert rules.')
output ruleNames array = [for (rule, i) in rules: scheduledQueryRules[i].name]

@description('Resource id of the action group; empty without alertEmail.')
output actionGroupId string = empty(alertEmail) ? '' : actionGroup.id
