'use strict';
// The Cosmos SDK asks for a query plan alongside every query (`x-ms-cosmos-is-query-plan-request`)
// and uses it only when the query itself is refused as needing one. The local server has no
// query planner: it ran each plan request as the query, over the whole container, since the
// request names no partition, so a single-partition count cost a full scan next to it (the
// counts' recounts spent ~90 % of the server's time there). This answers plan requests at once
// with a 400, which the SDK keeps aside as it does any failed plan request.
const path = require('node:path');

const PLAN_HEADER = 'x-ms-cosmos-is-query-plan-request';

function useNoQueryPlans() {
  const server = path.dirname(require.resolve('@vercel/cosmosdb-server/package.json'));
  const handler = require(path.join(server, 'lib', 'handler', 'query-documents.js'));
  const original = handler.default;
  handler.default = async (account, req, res, params) => {
    if (String(req.headers[PLAN_HEADER] ?? '').toLowerCase() !== 'true')
      return original(account, req, res, params);
    // The body is read all the same, so that the kept-alive socket can carry the next request.
    await require(path.join(server, 'lib', 'json.js')).default(req);
    res.statusCode = 400;
    return { code: 'BadRequest', message: 'the local Cosmos server has no query plans' };
  };
}

module.exports = { useNoQueryPlans };
