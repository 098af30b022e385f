// Every role assignment of the system, in one place. The function app's identity gets the
// data-plane roles it needs; the deploying principal (a developer for `func start` and the
// CLI, or the pipeline's service principal, which seeds the feature flags) gets the same.
// No resource hands out a key: local auth is off on all of them.

@description('Principal id of the function app\'s user-assigned identity.')
param identityPrincipalId string

@description('Object id of the deploying user or service principal; empty: no assignments for it.')
param principalId string = ''

@description('Type of the deploying principal.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Name of the storage account of the host and the deployment package.')
param storageAccountName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Name of the Service Bus namespace.')
param serviceBusName string

@description('Name of the App Configuration store.')
param appConfigurationName string

@description('Name of the Cosmos DB account.')
param cosmosAccountName string

// Built-in role definition ids (Azure RBAC).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  appConfigurationDataOwner: '5ae67dd6-50cb-40e7-96ff-dc2bfa4b606b'
}

// Cosmos DB for NoSQL built-in data-plane role "Cosmos DB Built-in Data Contributor".
var cosmosDataContributorRoleId = '00000000-0000-0000-0000-000000000002'

var identity = [
  {
    id: identityPrincipalId
    type: 'ServicePrincipal'
  }
]
var principals = empty(principalId) ? identity : concat(identity, [{ id: principalId, type: principalType }])

var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]
var serviceBusRoles = [
  roles.serviceBusDataSender
  roles.serviceBusDataReceiver
]

// Every (principal, role) pair.
var storageAssignments = [
  for i in range(0, length(principals) * length(storageRoles)): {
    principal: principals[i / length(storageRoles)]
    role: storageRoles[i % length(storageRoles)]
  }
]
var serviceBusAssignments = [
  for i in range(0, length(principals) * length(serviceBusRoles)): {
    principal: principals[i / length(serviceBusRoles)]
    role: serviceBusRoles[i % length(serviceBusRoles)]
  }
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusName
}

resource appConfiguration 'Microsoft.AppConfiguration/configurationStores@2024-05-01' existing = {
  name: appConfigurationName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

// Host storage and the deployment package: blob, queue and table data, as the Flex templates grant.
resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in storageAssignments: {
    name: guid(storage.id, assignment.principal.id, assignment.role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.role)
      principalId: assignment.principal.id
      principalType: assignment.principal.type
    }
  }
]

// Telemetry with Microsoft Entra authentication (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
resource metricsPublisherAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principal in principals: {
    name: guid(applicationInsights.id, principal.id, roles.monitoringMetricsPublisher)
    scope: applicationInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
      principalId: principal.id
      principalType: principal.type
    }
  }
]

// The planner sends batches, the workers (and the dead-letter handler) receive them.
resource serviceBusRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in serviceBusAssignments: {
    name: guid(serviceBus.id, assignment.principal.id, assignment.role)
    scope: serviceBus
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.role)
      principalId: assignment.principal.id
      principalType: assignment.principal.type
    }
  }
]

// Feature flags are read and written (cutover, rollback), so data owner, not reader.
resource appConfigurationRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principal in principals: {
    name: guid(appConfiguration.id, principal.id, roles.appConfigurationDataOwner)
    scope: appConfiguration
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.appConfigurationDataOwner)
      principalId: principal.id
      principalType: principal.type
    }
  }
]

// Cosmos DB data plane: a SQL role assignment (not Azure RBAC) over the whole account.
resource cosmosRoleAssignments 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [
  for principal in principals: {
    parent: cosmos
    name: guid(cosmos.id, principal.id, cosmosDataContributorRoleId)
    properties: {
      roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributorRoleId}'
      principalId: principal.id
      scope: cosmos.id
    }
  }
]

@description('Number of Azure RBAC and Cosmos DB role assignments made.')
output assignmentCount int = length(storageAssignments) + length(serviceBusAssignments) + 3 * length(principals)
