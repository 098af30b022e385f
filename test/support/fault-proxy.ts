import { randomUUID } from 'node:crypto';
import http, { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

export interface FaultRule {
  /** The error answered; none: the request is forwarded, after `delayMs`. */
  status?: 429 | 503 | 408 | 500;
  /** How long the proxy holds a matching request before answering or forwarding it. */
  delayMs?: number;
  retryAfterMs?: number;
  /** Inject on every Nth matching request (1: all of them). */
  every?: number;
  /** Stop after injecting this many. */
  times?: number;
  /** Default: document writes (POST to .../docs that is not a query): creates, upserts, bulk. */
  match?: (req: { method: string; url: string; headers: IncomingHttpHeaders }) => boolean;
}

export interface FaultProxy {
  endpoint: string;
  /** Replaces the active rule and restarts the counts, so stats() describe this rule's phase. */
  inject(rule: FaultRule): void;
  /** No more faults; the counts stay readable. */
  clear(): void;
  stats(): { forwarded: number; injected: number };
  /** Destroys every open client socket: a network blip. In-flight requests may still land. */
  dropConnections(): void;
  stop(): Promise<void>;
}

const CODES = {
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
  408: 'RequestTimeout',
  500: 'InternalServerError',
};
const MESSAGES = {
  429: 'Request rate is large. More Request Units may be needed, so no changes were made. Please retry this request later.',
  503: 'Service is currently unavailable. Please retry this request later.',
  408: 'The request timed out.',
  500: 'An unknown error occurred while processing this request.',
};
// Hop-by-hop: each side of the proxy has its own connection.
const HOP_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
];

/** An HTTP reverse proxy on 127.0.0.1 in front of a Cosmos endpoint, answering some requests with faults. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  let active: { rule: FaultRule; seen: number } | undefined;
  const sockets = new Set<net.Socket>();
  let counts = { forwarded: 0, injected: 0 };

  const pickFault = (req: http.IncomingMessage): FaultRule | undefined => {
    if (!active) return undefined;
    const { rule } = active;
    if (rule.times !== undefined && counts.injected >= rule.times) return undefined;
    if (
      !(rule.match ?? isDocumentWrite)({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
      })
    ) {
      return undefined;
    }
    active.seen += 1;
    return active.seen % (rule.every ?? 1) === 0 ? rule : undefined;
  };

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const fault = pickFault(req);
      if (fault) counts.injected += 1;
      if (fault?.status !== undefined) {
        const status = fault.status;
        setTimeout(() => respondWithFault(res, { ...fault, status }), fault.delayMs ?? 0);
        return;
      }
      if (fault?.delayMs) setTimeout(forwardRequest, fault.delayMs);
      else forwardRequest();
    });

    function forwardRequest(): void {
      counts.forwarded += 1;
      const body = Buffer.concat(chunks);
      const headers = withoutHopHeaders(req.headers);
      if (body.length > 0 || req.headers['content-length'] !== undefined)
        headers['content-length'] = String(body.length);
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, withoutHopHeaders(answer.headers));
          answer.pipe(res);
          answer.on('error', () => res.destroy());
        },
      );
      forward.on('error', (error) => {
        if (res.headersSent) res.destroy();
        else
          respond(res, 502, { code: 'BadGateway', message: `fault proxy: ${error.message}` }, {});
      });
      forward.end(body);
    }
  });
  // Longer than the SDK's idle sockets live, so the proxy never closes one under a request.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject(rule) {
      active = { rule, seen: 0 };
      counts = { forwarded: 0, injected: 0 };
    },
    clear() {
      active = undefined;
    },
    stats: () => ({ ...counts }),
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      })),
  };
}

/** What the SDK sends as POST .../docs, except queries (which carry the isquery header). */
function isDocumentWrite(req: {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}): boolean {
  const path = req.url.split('?')[0] ?? '';
  return (
    req.method === 'POST' &&
    /\/docs\/?$/.test(path) &&
    req.headers['x-ms-documentdb-isquery'] !== 'true'
  );
}

function respondWithFault(
  res: http.ServerResponse,
  fault: FaultRule & { status: NonNullable<FaultRule['status']> },
): void {
  const retryAfterMs = fault.retryAfterMs ?? (fault.status === 429 ? 50 : undefined);
  const headers: Record<string, string> = {};
  if (retryAfterMs !== undefined) headers['x-ms-retry-after-ms'] = String(retryAfterMs);
  // Cosmos tags RU throttling with substatus 3200.
  if (fault.status === 429) headers['x-ms-substatus'] = '3200';
  respond(
    res,
    fault.status,
    { code: CODES[fault.status], message: MESSAGES[fault.status] },
    headers,
  );
}

function respond(
  res: http.ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string>,
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-ms-request-charge': '0',
    'x-ms-activity-id': randomUUID(),
  });
  res.end(payload);
}

function withoutHopHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of HOP_HEADERS) delete copy[name];
  return copy;
}
