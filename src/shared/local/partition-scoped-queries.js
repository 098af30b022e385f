'use strict';
// Cosmos runs a query sent with a partition key (`x-ms-documentdb-partitionkey`, the SDK's
// `partitionKey` option) over that one partition. The local server ignores the header and runs
// every query over the whole container, so a single-partition count costs a scan of all its
// documents (the counts' recount of one post: ~35 ms per query at 60k votes) and answers with
// documents of other partitions. This keeps the documents' ids per partition value and runs a
// query that names a partition over that partition's documents only; a cross-partition query
// is unchanged. The index only ever grows: a rid whose document is gone (deleted, or undone by
// a failed transactional batch) is skipped when read, so nothing that bypasses these methods
// can leave a document out.
const path = require('node:path');

const PARTITION_HEADER = 'x-ms-documentdb-partitionkey';

function usePartitionScopedQueries() {
  const server = path.dirname(require.resolve('@vercel/cosmosdb-server/package.json'));
  const lib = (name) => require(path.join(server, 'lib', name));
  // The documents' class: other wrappers (the change feed's) patch it, over the base class.
  const Items = lib('account/documents.js').default;
  const { parsePartitionKey } = lib('utils/get-partition-from-header.js');

  const byPartition = new WeakMap();
  const partitionsOf = (items) => {
    let partitions = byPartition.get(items);
    if (!partitions) {
      partitions = new Map();
      byPartition.set(items, partitions);
      // Documents written before the first query through this wrapper.
      for (const [rid, item] of items._data) add(partitions, items._getPartition(item.read()), rid);
    }
    return partitions;
  };
  const add = (partitions, value, rid) => {
    const key = JSON.stringify(value ?? null);
    let rids = partitions.get(key);
    if (!rids) partitions.set(key, (rids = new Set()));
    rids.add(rid);
  };

  const set = Items.prototype._set;
  Items.prototype._set = function _set(data) {
    const written = set.call(this, data);
    const partitions = byPartition.get(this);
    if (partitions) add(partitions, this._getPartition(data), data._rid);
    return written;
  };

  const query = Items.prototype.query;
  Items.prototype.query = function scopedQuery(params, options) {
    if (!options || !('partitionKey' in options)) return query.call(this, params, options);
    const { partitionKey, ...rest } = options;
    const rids = partitionsOf(this).get(JSON.stringify(partitionKey ?? null));
    const documents = [];
    for (const rid of rids ?? []) {
      const item = this._data.get(rid);
      if (!item) continue;
      const data = item.read();
      // A rid reused for another partition never happens; checked anyway, it is cheap.
      if (JSON.stringify(this._getPartition(data) ?? null) === JSON.stringify(partitionKey ?? null))
        documents.push(data);
    }
    // The rest as the original does it, over these documents instead of all of them.
    const all = this._data;
    this._data = new Map(documents.map((data) => [data._rid, { read: () => data }]));
    try {
      return query.call(this, params, rest);
    } finally {
      this._data = all;
    }
  };

  // The server's handler, written again to pass the request's partition key on (it reads the
  // body first, so no other request may be told which partition to use in the meantime).
  const handler = lib('handler/query-documents.js');
  const original = handler.default;
  const readItems = lib('handler/_read-items.js').default;
  handler.default = (account, req, res, { dbId, collId }) => {
    const header = req.headers[PARTITION_HEADER];
    const raw = Array.isArray(header) ? header[0] : header;
    if (!raw) return original(account, req, res, { dbId, collId });
    return readItems(req, res, 'Documents', async ({ continuation, maxItemCount }) => {
      // Looked up per request: another wrapper may have replaced the body reader.
      const body = await lib('json.js').default(req);
      if (!body.query) {
        res.statusCode = 400;
        return { message: 'missing query' };
      }
      const partitionKey = parsePartitionKey(raw);
      const collection = account.database(dbId).collection(collId);
      try {
        return collection.documents.query(body, { continuation, maxItemCount, partitionKey });
      } catch (error) {
        if (error.badRequest) {
          res.statusCode = 400;
          return { message: error.message };
        }
        throw error;
      }
    });
  };
}

module.exports = { usePartitionScopedQueries };
