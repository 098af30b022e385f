'use strict';
// Cosmos DB answers a bulk/batch request sent with `Prefer: return=minimal` (the SDK's
// `contentResponseOnWriteEnabled: false`) without echoing the documents it wrote; the local
// server ignores the header and sends every document back. Honouring it here keeps the
// local client's work what it is against Azure: status and charge per write, bodies only
// for reads and for failures.
const WRITES = new Set(['Create', 'Upsert', 'Replace', 'Patch', 'Delete']);

/** Must run before `@vercel/cosmosdb-server` is loaded: its router keeps the handler it sees. */
function useMinimalWriteResponses() {
  const json = require('@vercel/cosmosdb-server/lib/json');
  const batch = require('@vercel/cosmosdb-server/lib/handler/batch-documents');
  // The handler reads the body through `json`; the wrapper reads it first and hands the
  // handler the same parse, so it sees the operation types without reading the stream twice.
  const parse = json.default;
  const parsed = new WeakMap();
  json.default = (req) => parsed.get(req) ?? parse(req);
  const handle = batch.default;
  batch.default = async (account, req, res, params) => {
    const minimal = /return=minimal/i.test(String(req.headers.prefer ?? ''));
    if (minimal) parsed.set(req, parse(req));
    const operations = minimal ? await parsed.get(req) : undefined;
    const results = await handle(account, req, res, params);
    if (!minimal || !Array.isArray(operations) || !Array.isArray(results)) return results;
    return results.map((result, i) =>
      result.statusCode < 400 && WRITES.has(operations[i]?.operationType)
        ? { ...result, resourceBody: undefined }
        : result,
    );
  };
}

module.exports = { useMinimalWriteResponses };
