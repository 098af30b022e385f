'use strict';
// Runs the local Cosmos server in its own process, so it gets a core of its own.
const { createHttpServer } = require('@vercel/cosmosdb-server');

const port = Number(process.argv[2] || 0);
const server = createHttpServer();
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.send?.({ ready: true, port: server.address().port });
});
// No orphan survives a crashed parent.
process.on('disconnect', () => process.exit(0));
