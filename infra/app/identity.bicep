// The one user-assigned managed identity of the system. The function app runs as it, and
// every data-plane role it needs is granted in rbac.bicep.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity (for `identity.userAssignedIdentities` and deployment storage).')
output id string = identity.id

@description('Name of the identity; also its PostgreSQL role name under Microsoft Entra authentication.')
output name string = identity.name

@description('Client (application) id of the identity, the `AZURE_CLIENT_ID` of the app.')
output clientId string = identity.properties.clientId

@description('Object (principal) id of the identity, for role assignments.')
output principalId string = identity.properties.principalId
