// cosmos-migration: everything `azd up` provisions. One resource group; every connection is
// identity-based (one user-assigned identity, all roles in app/rbac.bicep); local auth is off
// on Cosmos DB, Service Bus, App Configuration, Application Insights and storage.
// The source PostgreSQL is not provisioned: the postgres* parameters name it.
// Log search alerts on the continuous sync (app/alerts.bicep) read the app's custom metrics.
targetScope = 'subscription'

@description('Name of the azd environment; part of the resource group name and of the token that makes resource names unique.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Primary region of every resource (Flex Consumption must be available there).')
@minLength(1)
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user or service principal; it gets the same data roles as the app, for local runs and the flag seeding hook. Empty: none.')
param principalId string = ''

@description('Type of principalId: User for a developer, ServicePrincipal for a pipeline.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Name of the resource group; empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Cosmos DB throughput: manual RU/s per container, autoscale (max RU/s per container) or a serverless account (single region).')
@allowed([
  'manual'
  'autoscale'
  'serverless'
])
param cosmosThroughputMode string = 'manual'

@description('Extra Cosmos DB regions, comma-separated, in failover priority order (e.g. "westus3,northeurope"); empty: single region.')
param cosmosFailoverLocations string = ''

@description('Let Cosmos DB fail over automatically to the next region.')
param cosmosAutomaticFailover bool = true

@description('Cosmos DB continuous backup tier (point-in-time restore window).')
@allowed([
  'Continuous7Days'
  'Continuous30Days'
])
param cosmosBackupTier string = 'Continuous7Days'

@description('Maximum instances of the function app; bounds the RU/s pressure of the fan-out.')
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int = 10

@description('Memory of one function app instance in MB.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('SKU of the App Configuration store.')
@allowed([
  'free'
  'standard'
])
param appConfigurationSku string = 'standard'

@description('Host of the source PostgreSQL server, e.g. myserver.postgres.database.azure.com; empty until known.')
param postgresHost string = ''

@description('Port of the source PostgreSQL server.')
param postgresPort int = 5432

@description('Database of the source PostgreSQL server.')
param postgresDatabase string = ''

@description('PostgreSQL role the app signs in as; empty: the managed identity\'s name (Microsoft Entra authentication, the default).')
param postgresUser string = ''

@description('TLS towards PostgreSQL: require (certificate verified), no-verify or disable.')
@allowed([
  'require'
  'no-verify'
  'disable'
])
param postgresSslMode string = 'require'

@description('Only for a source without Microsoft Entra authentication: Key Vault secret URI of the password, set as a Key Vault reference. Grant the identity "Key Vault Secrets User" on that vault.')
param postgresPasswordSecretUri string = ''

@description('Source rows per batch (100..5000).')
@minValue(100)
@maxValue(5000)
param migrationBatchSize int = 1000

@description('RU/s the whole migration may spend on Cosmos DB, shared out over the maximum instances; 0: no cap (429s still pace it).')
@minValue(0)
param migrationRuBudget int = 0

@description('Batches in flight per instance.')
@minValue(1)
@maxValue(64)
param migrationBatchConcurrency int = 4

@description('Bulk calls (100 documents each) in flight per batch.')
@minValue(1)
@maxValue(64)
param migrationWriteConcurrency int = 4

@description('Deliveries of a batch message before Service Bus dead-letters it.')
@minValue(1)
@maxValue(100)
param migrationMaxDeliveryCount int = 10

@description('Email address the sync alerts are sent to (an action group); empty: no action group, the alerts show in the portal only.')
param alertEmail string = ''

@description('Retained WAL of the sync\'s replication slot, in GiB, above which the retained-WAL alert fires.')
@minValue(1)
param syncAlertRetainedWalGiB int = 10

@description('Sync lag in seconds above which the lag alert fires (average over the window).')
@minValue(1)
param syncAlertLagSeconds int = 300

@description('Window of the retained-WAL and lag alerts, in minutes.')
@allowed([
  5
  10
  15
  30
  60
])
param syncAlertWindowMinutes int = 15

@description('Minutes without a sync.lagSeconds metric after which the sync-stopped alert fires.')
@allowed([
  10
  15
  30
  60
])
param syncAlertStoppedMinutes int = 15

@description('Enable the sync-stopped alert; turn it off while no sync runs on purpose (one-shot copies, after `sync stop`).')
param syncAlertStoppedEnabled bool = true

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var serviceName = 'api'
var functionAppName = '${abbrs.webSitesFunctions}${serviceName}-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var migrationQueueName = 'migration-batches'
var validationQueueName = 'validation-batches'
var syncQueueName = 'sync-batches'
var failoverLocations = empty(cosmosFailoverLocations) ? [] : map(split(cosmosFailoverLocations, ','), region => trim(region))
// MIGRATION_RU_BUDGET is per instance (each instance paces itself).
var ruBudgetPerInstance = migrationRuBudget == 0 ? 0 : max(1, migrationRuBudget / functionMaximumInstanceCount)

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: empty(resourceGroupName) ? '${abbrs.resourcesResourceGroups}${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${serviceName}-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module cosmos 'app/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    accountName: '${abbrs.documentDBDatabaseAccounts}${resourceToken}'
    location: location
    tags: tags
    throughputMode: cosmosThroughputMode
    failoverLocations: failoverLocations
    enableAutomaticFailover: cosmosAutomaticFailover
    backupTier: cosmosBackupTier
  }
}

module serviceBus 'app/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: tags
    queueNames: [
      migrationQueueName
      validationQueueName
      syncQueueName
    ]
    maxDeliveryCount: migrationMaxDeliveryCount
  }
}

module appConfiguration 'app/appconfig.bicep' = {
  name: 'appconfig'
  scope: rg
  params: {
    name: '${abbrs.appConfigurationStores}${resourceToken}'
    location: location
    tags: tags
    sku: appConfigurationSku
  }
}

// Alerts on the continuous sync (log search alerts over the app's custom metrics).
module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    nameSuffix: resourceToken
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    actionGroupName: '${abbrs.insightsActionGroups}${resourceToken}'
    alertEmail: alertEmail
    retainedWalThresholdGiB: syncAlertRetainedWalGiB
    lagThresholdSeconds: syncAlertLagSeconds
    windowMinutes: syncAlertWindowMinutes
    stoppedMinutes: syncAlertStoppedMinutes
    stoppedAlertEnabled: syncAlertStoppedEnabled
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    identityPrincipalId: identity.outputs.principalId
    principalId: principalId
    principalType: principalType
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    serviceBusName: serviceBus.outputs.name
    appConfigurationName: appConfiguration.outputs.name
    cosmosAccountName: cosmos.outputs.accountName
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  // The host needs its storage and queue roles when it first starts.
  dependsOn: [
    rbac
  ]
  params: {
    name: functionAppName
    location: location
    tags: tags
    serviceName: serviceName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabase: cosmos.outputs.databaseName
    cosmosThroughputMode: cosmosThroughputMode
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    migrationQueueName: migrationQueueName
    validationQueueName: validationQueueName
    syncQueueName: syncQueueName
    appConfigurationEndpoint: appConfiguration.outputs.endpoint
    postgresHost: postgresHost
    postgresPort: postgresPort
    postgresDatabase: postgresDatabase
    postgresUser: postgresUser
    postgresSslMode: postgresSslMode
    postgresPasswordSecretUri: postgresPasswordSecretUri
    migrationBatchSize: migrationBatchSize
    migrationRuBudgetPerInstance: ruBudgetPerInstance
    migrationBatchConcurrency: migrationBatchConcurrency
    migrationWriteConcurrency: migrationWriteConcurrency
    migrationMaxDeliveryCount: migrationMaxDeliveryCount
  }
}

// Outputs land in the azd environment (.azure/<env>/.env); the postprovision hook writes
// local.settings.json from them. Named like the settings they feed.
@description('Primary region.')
output AZURE_LOCATION string = location

@description('Tenant of the subscription.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group of the system.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Client id of the app\'s managed identity (the app\'s AZURE_CLIENT_ID; not exported as AZURE_CLIENT_ID here, which would clash with the pipeline\'s sign-in).')
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Name of the app\'s managed identity; its PostgreSQL role name under Microsoft Entra authentication.')
output AZURE_MANAGED_IDENTITY_NAME string = identity.outputs.name

@description('Principal id of the app\'s managed identity (e.g. for a Key Vault role or a PostgreSQL Entra admin).')
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId

@description('Cosmos DB endpoint (COSMOS_ENDPOINT locally, COSMOS__accountEndpoint in the app).')
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint

@description('Cosmos DB database.')
output COSMOS_DATABASE string = cosmos.outputs.databaseName

@description('Throughput mode of the containers.')
output COSMOS_THROUGHPUT_MODE string = cosmosThroughputMode

@description('Fully qualified Service Bus namespace (SERVICEBUS__fullyQualifiedNamespace).')
output SERVICEBUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace

@description('Queue of migration batches.')
output MIGRATION_QUEUE string = migrationQueueName

@description('Queue of validation batches.')
output VALIDATION_QUEUE string = validationQueueName

@description('Queue of continuous sync batches.')
output SYNC_QUEUE string = syncQueueName

@description('App Configuration endpoint (feature flags).')
output APP_CONFIGURATION_ENDPOINT string = appConfiguration.outputs.endpoint

@description('Storage account of the Functions host (AzureWebJobsStorage__accountName).')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('Application Insights connection string (ingestion needs a Microsoft Entra token).')
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString

@description('Source PostgreSQL host.')
output DATABASE_HOST string = postgresHost

@description('Source PostgreSQL port.')
output DATABASE_PORT int = postgresPort

@description('Source PostgreSQL database.')
output DATABASE_NAME string = postgresDatabase

@description('PostgreSQL role the app signs in as.')
output DATABASE_USER string = functionApp.outputs.databaseUser

@description('TLS mode towards PostgreSQL.')
output DATABASE_SSL string = postgresSslMode

@description('Name of the function app.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Base URL of the function app (the CLI\'s --remote).')
output AZURE_FUNCTION_URL string = functionApp.outputs.url

@description('Name of the function app as the azd service "api".')
output SERVICE_API_NAME string = functionApp.outputs.name
