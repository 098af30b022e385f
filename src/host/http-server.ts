import http from 'node:http';
import { HttpRequest, HttpResponse, HttpResponseInit } from '@azure/functions';
import { errorMessage } from '../shared/errors/app-error';
import { HostLog, invokeOnce } from './invoke';
import { Registration } from './registrations';
import { RouteTemplate } from './routes';

export interface HttpFunction {
  registration: Registration;
  methods: string[];
  route: RouteTemplate;
}

/** What `/admin/functions` answers and does (the Core Tools and Azure convention). */
export interface AdminEndpoints {
  list(): unknown[];
  /** Runs a non-HTTP function by hand; undefined when no such function exists. */
  run(name: string, input: unknown): { status: number; message: string } | undefined;
}

export interface HttpServerOptions {
  routePrefix: string;
  functions: HttpFunction[];
  admin: AdminEndpoints;
  log: HostLog;
}

/** The Functions host's HTTP request limit. */
const MAX_BODY_BYTES = 100 * 1024 * 1024;

/**
 * Serves the HTTP triggers under `/<routePrefix>/<route>` and the admin endpoints. A path no
 * route matches is 404, a method no function of the matching routes takes is 405 (with
 * Allow); every error is `{ error: { code, message } }`, never a stack trace.
 */
export function createHttpServer(options: HttpServerOptions): http.Server {
  const prefix = `/${options.routePrefix.replace(/^\/+|\/+$/g, '')}`;
  const functions = [...options.functions].sort((a, b) => b.route.precedence - a.route.precedence);
  return http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      options.log('error', `HTTP ${req.method} ${req.url}: ${errorMessage(error)}`);
      if (!res.headersSent)
        sendError(res, 500, 'HOST_ERROR', 'the host failed to serve this request');
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    if (body === undefined) {
      return sendError(
        res,
        413,
        'PAYLOAD_TOO_LARGE',
        `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
      );
    }
    if (url.pathname === '/admin/functions' || url.pathname.startsWith('/admin/functions/')) {
      return admin(url, method, body, res);
    }
    const path =
      url.pathname === prefix
        ? ''
        : url.pathname.startsWith(`${prefix}/`)
          ? url.pathname.slice(prefix.length + 1)
          : undefined;
    const candidates =
      path === undefined
        ? []
        : functions.flatMap((fn) => {
            const params = fn.route.match(path);
            return params ? [{ fn, params }] : [];
          });
    if (candidates.length === 0) {
      return sendError(res, 404, 'NOT_FOUND', `no function serves ${url.pathname}`);
    }
    const chosen = candidates.find(({ fn }) => fn.methods.includes(method));
    if (!chosen) {
      const allowed = [...new Set(candidates.flatMap(({ fn }) => fn.methods))].sort();
      res.setHeader('Allow', allowed.join(', '));
      return sendError(
        res,
        405,
        'METHOD_NOT_ALLOWED',
        `${method} is not allowed on ${url.pathname} (allowed: ${allowed.join(', ')})`,
      );
    }
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(', ') : (value ?? ''),
        ]),
      ),
      params: chosen.params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    });
    let result: unknown;
    try {
      result = await invokeOnce(
        chosen.fn.registration,
        [request],
        {
          reason: `This function was programmatically called via the host APIs.`,
          triggerMetadata: {},
        },
        options.log,
      );
    } catch {
      return sendError(
        res,
        500,
        'FUNCTION_FAILED',
        `function ${chosen.fn.registration.name} failed; the host log has the reason`,
      );
    }
    await send(res, result);
  }

  function admin(url: URL, method: string, body: Buffer, res: http.ServerResponse): void {
    const name = decodeURIComponent(url.pathname.slice('/admin/functions/'.length));
    if (url.pathname === '/admin/functions') {
      if (method !== 'GET') return methodNotAllowed(res, 'GET', url.pathname);
      return sendJson(res, 200, options.admin.list());
    }
    if (method !== 'POST') return methodNotAllowed(res, 'POST', url.pathname);
    let input: unknown = undefined;
    if (body.length > 0) {
      try {
        input = (JSON.parse(body.toString('utf8')) as { input?: unknown }).input;
      } catch {
        return sendError(res, 400, 'INVALID_JSON', 'the body must be JSON: { "input": "..." }');
      }
    }
    const outcome = options.admin.run(name, input);
    if (!outcome) return sendError(res, 404, 'FUNCTION_NOT_FOUND', `no function named ${name}`);
    if (outcome.status >= 400)
      return sendError(res, outcome.status, 'NOT_INVOCABLE', outcome.message);
    res.statusCode = outcome.status;
    res.end();
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The handler's HttpResponseInit (or HttpResponse) as the Functions host writes it. */
async function send(res: http.ServerResponse, result: unknown): Promise<void> {
  const response =
    result instanceof HttpResponse ? result : new HttpResponse((result ?? {}) as HttpResponseInit);
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.end(Buffer.from(await response.arrayBuffer()));
}

function methodNotAllowed(res: http.ServerResponse, allowed: string, path: string): void {
  res.setHeader('Allow', allowed);
  sendError(res, 405, 'METHOD_NOT_ALLOWED', `only ${allowed} is allowed on ${path}`);
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}
