/** The HTTP status (or SDK code) a Cosmos call failed with. */
export const cosmosStatus = (error: unknown): unknown => (error as { code?: unknown }).code;
