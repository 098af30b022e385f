'use strict';
// The local Cosmos server in a process of its own, so it gets a core of its own instead of
// sharing the engine's event loop. Plain CommonJS: it runs under plain node.
const { useAtomicBatch } = require('./atomic-batch');
const { useChangeFeed } = require('./change-feed');
const { useConditionalPatch } = require('./conditional-patch');
const { useLinearQueries } = require('./linear-queries');
const { useIndexedArrayContains } = require('./indexed-array-contains');
const { useMinimalWriteResponses } = require('./minimal-write-responses');
const { useNoQueryPlans } = require('./no-query-plans');
const { usePartitionScopedQueries } = require('./partition-scoped-queries');

// All of them before the package loads: its router keeps the handlers it sees then.
useChangeFeed();
useConditionalPatch();
// The batch handler first, then the wrapper that trims its answers to Prefer: return=minimal.
useAtomicBatch();
useMinimalWriteResponses();
useLinearQueries();
useIndexedArrayContains();
usePartitionScopedQueries();
// Last: it answers plan requests before any other query wrapper sees them.
useNoQueryPlans();
const { createHttpServer } = require('@vercel/cosmosdb-server');

const port = Number(process.argv[2] || 0);
// Without keepAlive the server answers "connection: close" and every request opens a socket.
const server = createHttpServer({ keepAlive: true });
// Longer than the clients' idle sockets live, so a reused socket is not closed under a request.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.requestTimeout = 0;
server.on('error', (error) => {
  process.stderr.write(`local Cosmos server: ${error.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  // Forked with an IPC channel (tests, demo), it reports its port; detached (the CLI's
  // persistent server), the parent polls the port it chose.
  if (process.send) process.send({ ready: true, port: server.address().port });
});
// No orphan survives a crashed parent: its end of the IPC channel closes with it.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
