// Service Bus: the batch queues the planner and the sync fan out to, all with the same
// properties. Standard tier for duplicate detection (message id = batch id); local (SAS key)
// auth off.

@description('Name of the Service Bus namespace.')
@minLength(6)
@maxLength(50)
param name string

@description('Azure region of the namespace.')
param location string

@description('Tags applied to the namespace.')
param tags object = {}

@description('Queues to create, e.g. the migration, validation and sync batch queues.')
param queueNames array

@description('Deliveries before a message is dead-lettered (the app reads the same number as MIGRATION_MAX_DELIVERY_COUNT).')
@minValue(1)
@maxValue(100)
param maxDeliveryCount int = 10

@description('Peek-lock duration (5 minutes at most); the Functions host renews it while a batch runs.')
param lockDuration string = 'PT5M'

@description('How long a message id is remembered for duplicate detection.')
param duplicateDetectionWindow string = 'PT1H'

@description('Time to live of a message; an expired message is dead-lettered, never dropped.')
param messageTimeToLive string = 'P14D'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for queueName in queueNames: {
    parent: namespace
    name: queueName
    properties: {
      lockDuration: lockDuration
      maxDeliveryCount: maxDeliveryCount
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
      deadLetteringOnMessageExpiration: true
      defaultMessageTimeToLive: messageTimeToLive
      requiresSession: false
      enablePartitioning: false
      maxSizeInMegabytes: 1024
    }
  }
]

@description('Name of the namespace.')
output name string = namespace.name

@description('Fully qualified namespace, the `SERVICEBUS__fullyQualifiedNamespace` of the app.')
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
