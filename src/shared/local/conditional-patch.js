'use strict';
// A conditional patch (`item.patch({ condition: 'FROM c WHERE ...', operations })`) is applied
// by Cosmos DB only when its condition holds for the document, and answered 412 otherwise.
// The local server lower-cases the whole condition before it runs it, so a condition on a
// camelCase property (`c.engagement.commentCount`) or on a mixed-case string never holds; it
// also runs it as a query over the whole container. This evaluates the condition as written,
// against the one document the patch targets, then lets the server apply the operations.
// The standalone PATCH route and Patch inside a batch both go through `patchOperation`.

function preconditionFailed() {
  return {
    statusCode: 412,
    body: {
      code: 'PreconditionFailed',
      message: 'One of the specified pre-condition is not met.',
    },
  };
}

/** The condition as a query: Cosmos takes `FROM c WHERE <predicate>`. */
function conditionQuery(condition) {
  const text = condition.trim();
  if (/^select\b/i.test(text)) return text;
  if (/^from\b/i.test(text)) return `SELECT * ${text}`;
  if (/^where\b/i.test(text)) return `SELECT * FROM c ${text}`;
  return `SELECT * FROM c WHERE ${text}`;
}

function holds(documents, condition, data) {
  const query = documents._getQuery(conditionQuery(condition));
  const { result } = query.exec([data], { udf: documents._userDefinedFunctions() ?? undefined });
  return result.length > 0;
}

/** Must run before a patch is served; the handlers look `patchOperation` up on each call. */
function useConditionalPatch() {
  const operations = require('@vercel/cosmosdb-server/lib/handler/_patch-operations');
  const {
    parsePartitionKey,
  } = require('@vercel/cosmosdb-server/lib/utils/get-partition-from-header');
  const apply = operations.patchOperation;
  operations.patchOperation = (collection, input) => {
    const condition = input.condition ?? input.filterPredicate;
    if (!condition) return apply(collection, input);
    const unconditional = { ...input, condition: undefined, filterPredicate: undefined };
    const partitionKey = parsePartitionKey(input.partitionKey, input.id);
    const data = collection.document(input.id, partitionKey).read();
    // A missing document (404) or a stale If-Match (412) is answered before the condition.
    if (!data || (input.ifMatch && input.ifMatch !== data._etag)) {
      return apply(collection, unconditional);
    }
    let satisfied;
    try {
      satisfied = holds(collection.documents, condition, data);
    } catch (error) {
      return {
        statusCode: 400,
        body: { code: 'BadRequest', message: `Invalid patch condition: ${error.message}` },
      };
    }
    return satisfied ? apply(collection, unconditional) : preconditionFailed();
  };
}

module.exports = { useConditionalPatch };
