'use strict';
// A Cosmos DB transactional batch (`container.items.batch(operations, partitionKey)`) is all or
// nothing: when one operation fails, none of the batch is applied, the failing one carries its
// status, every other one 424 Failed Dependency, and the response is 207 Multi-Status. The
// local server runs the operations one after another and keeps what the ones before the
// failure wrote, and it rejects Patch. This runs the batch through the server's own operations
// (and Patch through its `patchOperation`), journals every change they make to the
// container's maps, and undoes them in reverse when an operation fails. The whole batch runs
// synchronously, so no other request sees it half done; its writes share one LSN in the change
// feed. Bulk (a non-atomic batch) runs the same operations, each on its own.
const { asOneWrite } = require('./change-feed');

const OPERATIONS = ['Create', 'Upsert', 'Read', 'Delete', 'Replace', 'Patch'];

// Loaded on first use, after the server's own modules; a require per operation resolved the
// path again every time (3.5 s of a 50 s sync drain).
let documentOperations;
let patch;

function runOperation(collection, input) {
  documentOperations ??= require('@vercel/cosmosdb-server/lib/handler/_document-operations');
  patch ??= require('@vercel/cosmosdb-server/lib/handler/_patch-operations');
  switch (input.operationType) {
    case 'Create':
      return documentOperations.createOperation(collection, input);
    case 'Upsert':
      return documentOperations.upsertOperation(collection, input);
    case 'Read':
      return documentOperations.readOperation(collection, input);
    case 'Delete':
      return documentOperations.deleteOperation(collection, input);
    case 'Replace':
      return documentOperations.replaceOperation(collection, input);
    default: {
      const body = input.resourceBody;
      return patch.patchOperation(collection, {
        id: input.id,
        partitionKey: input.partitionKey,
        ifMatch: input.ifMatch,
        operations: Array.isArray(body) ? body : (body?.operations ?? []),
        condition: Array.isArray(body) ? undefined : (body?.condition ?? body?.filterPredicate),
      });
    }
  }
}

function response(result) {
  if (result.statusCode >= 400) return { statusCode: result.statusCode, requestCharge: 0 };
  return {
    statusCode: result.statusCode,
    requestCharge: 1,
    eTag: result.body ? result.body._etag : undefined,
    resourceBody: result.body,
  };
}

/** Records the previous entry of every key `maps` set or delete until `stop`; `undo` restores them. */
function journal(maps) {
  const changes = [];
  for (const map of maps) {
    const remember = (key) => changes.push([map, key, map.has(key), map.get(key)]);
    map.set = (key, value) => {
      remember(key);
      return Map.prototype.set.call(map, key, value);
    };
    map.delete = (key) => {
      remember(key);
      return Map.prototype.delete.call(map, key);
    };
  }
  return {
    stop() {
      for (const map of maps) {
        delete map.set;
        delete map.delete;
      }
    },
    undo() {
      for (let i = changes.length - 1; i >= 0; i -= 1) {
        const [map, key, had, value] = changes[i];
        if (had) Map.prototype.set.call(map, key, value);
        else Map.prototype.delete.call(map, key);
      }
    },
  };
}

function runAtomically(collection, inputs, res) {
  const { documents } = collection;
  // The undo happens inside: the change feed compacts its log when `asOneWrite` returns, and
  // must see the container as the batch leaves it.
  return asOneWrite(documents, () => {
    const changes = journal([documents._data, documents._index]);
    const results = [];
    try {
      for (const input of inputs) {
        const result = runOperation(collection, input);
        results.push(result);
        if (result.statusCode >= 400) break;
      }
    } catch (error) {
      changes.stop();
      changes.undo();
      throw error;
    }
    changes.stop();
    const failed = results.length - 1;
    if (results[failed].statusCode < 400) return results.map(response);
    changes.undo();
    res.statusCode = 207;
    return inputs.map((_, i) =>
      i === failed ? response(results[failed]) : { statusCode: 424, requestCharge: 0 },
    );
  });
}

function runEach(collection, inputs, continueOnError) {
  let failed = false;
  return inputs.map((input) => {
    if (failed && !continueOnError) return { statusCode: 424, requestCharge: 0 };
    const result = runOperation(collection, input);
    failed = result.statusCode >= 400;
    return response(result);
  });
}

/** Must run before `@vercel/cosmosdb-server` is loaded: its router keeps the handler it sees. */
function useAtomicBatch() {
  const batch = require('@vercel/cosmosdb-server/lib/handler/batch-documents');
  const json = require('@vercel/cosmosdb-server/lib/json');
  const trueHeader = require('@vercel/cosmosdb-server/lib/true-header').default;
  const partitionKeyHeader = require('@vercel/cosmosdb-server/lib/utils/get-partition-from-header');
  batch.default = async (account, req, res, { dbId, collId }) => {
    // Looked up on each call: minimal-write-responses hands over the body it already parsed.
    const body = await json.default(req);
    const collection = account.database(dbId).collection(collId);
    if (!collection.read()) {
      res.statusCode = 404;
      return {};
    }
    if (!Array.isArray(body) || body.length === 0) {
      res.statusCode = 400;
      return { code: 'BadRequest', message: 'Invalid request body' };
    }
    const unsupported = body.find((input) => !OPERATIONS.includes(input?.operationType));
    if (unsupported) {
      res.statusCode = 400;
      return {
        code: 'BadRequest',
        message: `Operation type '${unsupported?.operationType}' is not supported in Batch.`,
      };
    }
    // A transactional batch names its partition key once, on the request.
    const partitionKey = partitionKeyHeader.default(req);
    const inputs = body.map((input) =>
      input.partitionKey === undefined && partitionKey !== undefined
        ? { ...input, partitionKey }
        : input,
    );
    if (trueHeader(req, 'x-ms-cosmos-batch-atomic')) return runAtomically(collection, inputs, res);
    return runEach(collection, inputs, trueHeader(req, 'x-ms-cosmos-batch-continue-on-error'));
  };
}

module.exports = { useAtomicBatch };
