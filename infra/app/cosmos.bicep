// The target: a Cosmos DB for NoSQL account with local (key) auth off, continuous backup for
// point-in-time restore, the `social_pulse` database and its containers.
//
// The containers come from the one definition the code uses too
// (src/shared/cosmos/containers.json, read by src/shared/cosmos/containers.ts): name,
// partition key, index policy, manual and autoscale throughput. Change them there, not here.

@description('Name of the Cosmos DB account (3-44 lowercase letters, digits and hyphens).')
@minLength(3)
@maxLength(44)
param accountName string

@description('Primary (write) region of the account.')
param location string

@description('Tags applied to the account.')
param tags object = {}

@description('How the containers are provisioned: manual RU/s, autoscale (max RU/s per container) or a serverless account.')
@allowed([
  'manual'
  'autoscale'
  'serverless'
])
param throughputMode string = 'manual'

@description('Extra read regions, in failover priority order (ignored for serverless, which is single-region).')
param failoverLocations array = []

@description('Let Cosmos DB fail over to the next region on a regional outage.')
param enableAutomaticFailover bool = true

@description('Continuous backup tier: the point-in-time restore window.')
@allowed([
  'Continuous7Days'
  'Continuous30Days'
])
param backupTier string = 'Continuous7Days'

var definitions = loadJsonContent('../../src/shared/cosmos/containers.json')
var serverless = throughputMode == 'serverless'
var regions = serverless ? [location] : concat([location], failoverLocations)

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      for (region, priority) in regions: {
        locationName: region
        failoverPriority: priority
        isZoneRedundant: false
      }
    ]
    enableAutomaticFailover: enableAutomaticFailover
    enableMultipleWriteLocations: false
    capabilities: serverless ? [{ name: 'EnableServerless' }] : []
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: backupTier
      }
    }
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: definitions.database
  properties: {
    resource: {
      id: definitions.database
    }
  }
}

resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for container in definitions.containers: {
    parent: database
    name: container.name
    properties: {
      // defaultTtl -1 (comments, votes): TTL on with no default, so each tombstone's own ttl applies
      resource: union(
        {
          id: container.name
          partitionKey: {
            paths: [container.partitionKeyPath]
            kind: 'Hash'
            version: container.partitionKeyVersion
          }
        },
        container.indexingPolicy == null ? {} : { indexingPolicy: container.indexingPolicy },
        container.defaultTtl == null ? {} : { defaultTtl: container.defaultTtl }
      )
      // manual: fixed RU/s; autoscale: scales between 10 % and the max; serverless: no throughput at all
      options: throughputMode == 'manual' ? { throughput: container.throughput } : (throughputMode == 'autoscale' ? { autoscaleSettings: { maxThroughput: container.autoscaleMaxThroughput } } : {})
    }
  }
]

@description('Name of the Cosmos DB account.')
output accountName string = account.name

@description('Endpoint of the account, the `COSMOS__accountEndpoint` of the app.')
output endpoint string = account.properties.documentEndpoint

@description('Name of the database.')
output databaseName string = database.name

@description('Names of the containers created.')
output containerNames array = [for container in definitions.containers: container.name]
