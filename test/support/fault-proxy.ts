import http, { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

export interface FaultRule {
  status: 429 | 503 | 408;
  retryAfterMs?: number;
  /** Inject on every Nth matching request. */
  every: number;
  /** Stop after injecting this many. */
  times: number;
  match?: (request: { method: string; url: string; headers: IncomingHttpHeaders }) => boolean;
}

export interface FaultProxy {
  endpoint: string;
  inject(rule: FaultRule): void;
  stats(): { forwarded: number; injected: number };
  stop(): Promise<void>;
}

const writesToDocuments = ({ method, url }: { method: string; url: string }) =>
  method === 'POST' && /\/docs\/?$/.test(url);

/** A reverse proxy in front of the Cosmos-API server that answers some requests with throttling or outages. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  let rule: FaultRule | undefined;
  let seen = 0;
  let injected = 0;
  let forwarded = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const info = {
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: request.headers,
      };
      if (
        rule &&
        injected < rule.times &&
        (rule.match ?? writesToDocuments)(info) &&
        ++seen % rule.every === 0
      ) {
        injected++;
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'x-ms-request-charge': '0',
          'x-ms-activity-id': `fault-${injected}`,
        };
        if (rule.status === 429) headers['x-ms-retry-after-ms'] = String(rule.retryAfterMs ?? 10);
        response.writeHead(rule.status, headers);
        response.end(
          JSON.stringify({
            code: rule.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
            message: 'injected fault',
          }),
        );
        return;
      }
      forwarded++;
      const proxied = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: info.url,
          method: info.method,
          headers: request.headers,
          agent,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      proxied.on('error', () => response.destroy());
      proxied.end(Buffer.concat(chunks));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject(next) {
      rule = next;
      seen = 0;
      injected = 0;
    },
    stats: () => ({ forwarded, injected }),
    async stop() {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
