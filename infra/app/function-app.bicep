// The function app on the Flex Consumption plan (Node 22), running as the user-assigned
// identity. Every connection is identity-based: no key, connection string or password is set.
// Every setting the config module (src/shared/config/config.ts) reads in Azure is set here;
// test/infra/settings.test.ts holds the two in step.

@description('Name of the function app.')
param name string

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to the plan and the app.')
param tags object = {}

@description('azd service name of the app (the service in azure.yaml), set as its azd-service-name tag.')
param serviceName string = 'api'

@description('Name of the Flex Consumption plan.')
param planName string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Name of the user-assigned identity (its PostgreSQL role name under Microsoft Entra authentication).')
param identityName string

@description('Name of the storage account of the host and the deployment package.')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Maximum instances the app scales out to. With MIGRATION_BATCH_CONCURRENCY batches per instance, it bounds the RU/s pressure the fan-out puts on Cosmos DB.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 10

@description('Memory of one instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Cosmos DB account endpoint.')
param cosmosEndpoint string

@description('Cosmos DB database name.')
param cosmosDatabase string

@description('Throughput mode the containers were provisioned with.')
param cosmosThroughputMode string

@description('Fully qualified Service Bus namespace, e.g. sb-x.servicebus.windows.net.')
param serviceBusNamespace string

@description('Queue of migration batches.')
param migrationQueueName string

@description('Queue of validation batches.')
param validationQueueName string

@description('Queue of continuous sync batches (SYNC_QUEUE).')
param syncQueueName string = 'sync-batches'

@description('App Configuration endpoint (feature flags).')
param appConfigurationEndpoint string

@description('Host of the source PostgreSQL server; empty until the source is known.')
param postgresHost string = ''

@description('Port of the source PostgreSQL server.')
param postgresPort int = 5432

@description('Database of the source PostgreSQL server.')
param postgresDatabase string = ''

@description('PostgreSQL user; empty: the identity name (Microsoft Entra authentication).')
param postgresUser string = ''

@description('TLS towards PostgreSQL: require (certificate verified), no-verify or disable.')
@allowed([
  'require'
  'no-verify'
  'disable'
])
param postgresSslMode string = 'require'

@description('Key Vault secret URI of a PostgreSQL password, for servers without Microsoft Entra authentication; empty: Entra token.')
param postgresPasswordSecretUri string = ''

@description('Rows per batch (100..5000).')
param migrationBatchSize int = 1000

@description('RU/s one instance may spend (0: no cap); main.bicep divides the account budget by the instance count.')
param migrationRuBudgetPerInstance int = 0

@description('Bulk calls in flight per batch.')
param migrationWriteConcurrency int = 4

@description('Batches in flight per instance.')
param migrationBatchConcurrency int = 4

@description('Deliveries before a batch is dead-lettered (the queues are created with the same number).')
param migrationMaxDeliveryCount int = 10

@description('Retries of one bulk request answered 429/503.')
param migrationMaxThrottleRetries int = 30

@description('Share of sampled documents that must match for a validation to pass, 0..1.')
param validationConsistencyThreshold string = '0.99'

@description('NCRONTAB schedule of the scheduled validation.')
param validationSchedule string = '0 0 */6 * * *'

@description('Documents sampled per entity by a validation.')
param validationSampleSize int = 1000

@description('NCRONTAB schedule of the continuous sync timer (sync-changes): how often it applies what PostgreSQL committed.')
param syncSchedule string = '*/10 * * * * *'

@description('Changes one sync round reads at most (whole transactions; a larger one is read whole).')
@minValue(100)
@maxValue(1000000)
param syncMaxChanges int = 10000

@description('Changed keys above which a sync round is applied in parts over the sync queue.')
@minValue(1)
param syncFanOutKeys int = 5000

@description('Seconds a tombstone of a deleted comment or vote lives before Cosmos DB expires it.')
@minValue(60)
param syncTombstoneTtl int = 604800

@description('Name of the sync: its replication slot and publication are cosmos_migration_slot_<name> and cosmos_migration_pub_<name>; empty: derived from the Cosmos DB database name.')
param syncName string = ''

@description('NCRONTAB schedule of counts-reconcile, the timer that recounts the parents the change-feed functions recorded as failed and those with recent children.')
param countsReconcileSchedule string = '0 */5 * * * *'

@description('Seconds back counts-reconcile looks for written comments and votes; more than the schedule period.')
@minValue(60)
@maxValue(604800)
param countsReconcileWindow int = 900

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// Identity-based connections: `<connection>__fullyQualifiedNamespace` / `__accountEndpoint` /
// `__accountName` with `__credential: managedidentity` and `__clientId` of the identity.
var appSettings = {
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
  COSMOS__accountEndpoint: cosmosEndpoint
  COSMOS__credential: 'managedidentity'
  COSMOS__clientId: identityClientId
  COSMOS_DATABASE: cosmosDatabase
  COSMOS_THROUGHPUT_MODE: cosmosThroughputMode
  SERVICEBUS__fullyQualifiedNamespace: serviceBusNamespace
  SERVICEBUS__credential: 'managedidentity'
  SERVICEBUS__clientId: identityClientId
  APP_CONFIGURATION_ENDPOINT: appConfigurationEndpoint
  DATABASE_HOST: postgresHost
  DATABASE_PORT: string(postgresPort)
  DATABASE_NAME: postgresDatabase
  DATABASE_USER: empty(postgresUser) ? identityName : postgresUser
  DATABASE_SSL: postgresSslMode
  MIGRATION_QUEUE: migrationQueueName
  MIGRATION_BATCH_SIZE: string(migrationBatchSize)
  MIGRATION_RU_BUDGET: string(migrationRuBudgetPerInstance)
  MIGRATION_WRITE_CONCURRENCY: string(migrationWriteConcurrency)
  MIGRATION_BATCH_CONCURRENCY: string(migrationBatchConcurrency)
  MIGRATION_MAX_DELIVERY_COUNT: string(migrationMaxDeliveryCount)
  MIGRATION_MAX_THROTTLE_RETRIES: string(migrationMaxThrottleRetries)
  VALIDATION_QUEUE: validationQueueName
  VALIDATION_CONSISTENCY_THRESHOLD: validationConsistencyThreshold
  VALIDATION_SCHEDULE: validationSchedule
  VALIDATION_SAMPLE_SIZE: string(validationSampleSize)
  // The source stays live during validations: differences are looked at again after the sync's lag.
  VALIDATION_RECHECK_SECONDS: '30'
  SYNC_QUEUE: syncQueueName
  SYNC_SCHEDULE: syncSchedule
  SYNC_MAX_CHANGES: string(syncMaxChanges)
  SYNC_FANOUT_KEYS: string(syncFanOutKeys)
  SYNC_TOMBSTONE_TTL: string(syncTombstoneTtl)
  SYNC_NAME: syncName
  COUNTS_RECONCILE_SCHEDULE: countsReconcileSchedule
  COUNTS_RECONCILE_WINDOW: string(countsReconcileWindow)
  // Only read without App Configuration; set so that every setting the config reads is explicit.
  FEATURE_FLAGS_FILE: '.cosmos-migration/feature-flags.json'
  // Migration.Enabled off pauses the workers: read at most every 5 s, a paused message sent back
  // for 30 s, doubling per pause up to 5 minutes.
  MIGRATION_FLAG_CACHE_SECONDS: '5'
  MIGRATION_PAUSE_REQUEUE_SECONDS: '30'
  MIGRATION_PAUSE_REQUEUE_MAX_SECONDS: '300'
  CUTOVER_VALIDATION_MAX_AGE: '3600'
  CUTOVER_MAX_SYNC_LAG: '60'
  CUTOVER_SYNC_DRAIN_TIMEOUT: '300'
  CUTOVER_REPLAY_WAIT: '120'
  APP_FLAGS_REFRESH: '30'
  // A request waits at most this long for the first load of the flags from App Configuration.
  APP_FLAGS_STARTUP_TIMEOUT: '5'
  APP_METRICS_WINDOW: '60'
  APP_METRICS_FLUSH: '10'
  APP_METRICS_TTL: '604800'
  REPLAY_SCHEDULE: '*/15 * * * * *'
  REPLAY_BATCH: '100'
  WATCHDOG_SCHEDULE: '0 * * * * *'
  WATCHDOG_WINDOWS: '10'
  WATCHDOG_GRACE: '120'
  WATCHDOG_MIN_SAMPLES: '50'
  WATCHDOG_FAILING_WINDOWS: '3'
  WATCHDOG_COOLDOWN: '900'
  WATCHDOG_MAX_ERROR_RATE: '0.05'
  WATCHDOG_MAX_LATENCY_RATIO: '1.5'
  WATCHDOG_MIN_CONSISTENCY: '0.95'
}

// A password only as a Key Vault reference, resolved by the platform with the identity.
var passwordSettings = empty(postgresPasswordSecretUri) ? {} : { DATABASE_PASSWORD: '@Microsoft.KeyVault(SecretUri=${postgresPasswordSecretUri})' }

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: union(appSettings, passwordSettings)
  }
}

// Deployment goes through Microsoft Entra (azd, the deploy workflow): no publishing passwords.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Name of the function app.')
output name string = functionApp.name

@description('Base URL of the function app.')
output url string = 'https://${functionApp.properties.defaultHostName}'

@description('PostgreSQL user the app signs in as.')
output databaseUser string = appSettings.DATABASE_USER
