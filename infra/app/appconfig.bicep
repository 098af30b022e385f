// App Configuration: the cutover feature flags (DESIGN §6). Local (access key) auth is off.
// The flags are seeded by the postprovision hook (scripts/seed-feature-flags.sh), only when
// missing, so that a later `azd provision` never resets a flag an operator has turned on.

@description('Name of the App Configuration store.')
@minLength(5)
@maxLength(50)
param name string

@description('Azure region of the store.')
param location string

@description('Tags applied to the store.')
param tags object = {}

@description('SKU of the store: free (one per subscription, no soft delete) or standard.')
@allowed([
  'free'
  'standard'
])
param sku string = 'standard'

resource store 'Microsoft.AppConfiguration/configurationStores@2024-05-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: union(
    {
      disableLocalAuth: true
      publicNetworkAccess: 'Enabled'
    },
    sku == 'free' ? {} : { enablePurgeProtection: false, softDeleteRetentionInDays: 1 }
  )
}

@description('Name of the store.')
output name string = store.name

@description('Endpoint of the store, the `APP_CONFIGURATION_ENDPOINT` of the app.')
output endpoint string = store.properties.endpoint
