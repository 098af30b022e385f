import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { settingValue, Settings } from '../shared/config/config';
import { createEngine } from '../shared/composition/engine';
import { useFunctionsEngine } from '../shared/composition/functions-engine';
import { AppError } from '../shared/errors/app-error';
import { ChangeFeedTrigger, cosmosTriggerOptions } from './change-feed-trigger';
import { resolveHostSettings } from './host-settings';
import { createHttpServer, HttpFunction } from './http-server';
import { HostLog, invokeWithRetry } from './invoke';
import { LocalServiceBus } from './local-service-bus';
import { appModules, loadRegistrations, Registration } from './registrations';
import { parseRoute } from './routes';
import { scheduleTimer } from './timers';

export interface HostOptions {
  /** Default 7071, as `func start`. */
  port?: number;
  /** The project: host.json and local.settings.json are read from here. Default: the working directory. */
  root?: string;
  /** Local mode's servers and the queues' journals. Default `<root>/.cosmos-migration`. */
  stateDir?: string;
  /** The app's functions. Default: src/functions beside this host. */
  functionsDir?: string;
  log?: HostLog;
}

/** One function as the host lists it (`GET /admin/functions`, and on start). */
export interface FunctionInfo {
  name: string;
  trigger: string;
  url?: string;
  methods?: string[];
  queueName?: string;
  schedule?: string;
  container?: string;
}

export interface RunningHost {
  url: string;
  functions: FunctionInfo[];
  /** Stops taking work, lets what is in flight finish, stops local mode's servers. */
  stop(): Promise<void>;
}

interface HostJson {
  extensions?: { http?: { routePrefix?: string }; serviceBus?: { maxConcurrentCalls?: number } };
}

const INVOKED = 'This function was programmatically called via the host APIs.';

/** One stream, as `func start` prints: a failure stays in order with what led to it. */
const defaultLog: HostLog = (level, line) =>
  process.stdout.write(
    `[${new Date().toISOString()}] ${level === 'information' ? '' : `${level}: `}${line}\n`,
  );

/**
 * The function app, run the way the Functions host runs it: every registration of
 * src/functions, HTTP under `/api`, timers on their schedules, Service Bus triggers from local
 * queues, Cosmos DB triggers from the change feed, `POST /admin/functions/{name}` by hand.
 */
export async function startHost(options: HostOptions = {}): Promise<RunningHost> {
  const root = path.resolve(options.root ?? process.cwd());
  const stateDir = path.resolve(options.stateDir ?? path.join(root, '.cosmos-migration'));
  const log = options.log ?? defaultLog;
  const hostJson = readHostJson(path.join(root, 'host.json'));
  const registrations = loadRegistrations(appModules(options.functionsDir));
  const local = await resolveHostSettings(stateDir, path.join(root, 'local.settings.json'), log);
  const stopping = new AbortController();
  const cleanups: (() => Promise<void>)[] = [() => local.stop()];
  try {
    const { config, settings } = local;
    const resolve = (name: string) => (text: string) => resolveExpression(name, text, settings);
    const byType = (type: string) => registrations.filter((r) => r.trigger.type === type);

    const listeners = byType('serviceBusTrigger').map((registration) => ({
      registration,
      queueName: resolve(registration.name)(String(registration.trigger.queueName)),
    }));
    const queueOf = (registration: Registration) =>
      listeners.find((listener) => listener.registration === registration)?.queueName;
    const bus = new LocalServiceBus(listeners, {
      stateDir: path.join(stateDir, 'host'),
      maxConcurrentCalls: hostJson.extensions?.serviceBus?.maxConcurrentCalls ?? 16,
      maxDeliveryCount: config.migration.maxDeliveryCount,
      log,
    });
    const engine = createEngine(config, {
      migration: bus.queue(config.serviceBus.migrationQueue),
      validation: bus.queue(config.serviceBus.validationQueue),
      sync: bus.queue(config.serviceBus.syncQueue),
    });
    useFunctionsEngine(engine);
    cleanups.push(() => engine.close());
    cleanups.unshift(() => bus.stop());

    const timers = byType('timerTrigger').map((registration) =>
      scheduleTimer(
        registration,
        resolve(registration.name)(String(registration.trigger.schedule)),
        log,
        stopping.signal,
      ),
    );
    cleanups.unshift(async () => {
      await Promise.all(timers.map((timer) => timer.stop()));
    });

    const feeds = byType('cosmosDBTrigger').map((registration) => {
      const feedOptions = cosmosTriggerOptions(registration.trigger, resolve(registration.name));
      return {
        registration,
        feedOptions,
        trigger: new ChangeFeedTrigger(
          registration,
          feedOptions,
          engine.cosmos,
          log,
          stopping.signal,
        ),
      };
    });
    cleanups.unshift(async () => {
      await Promise.all(feeds.map(({ trigger }) => trigger.stopped()));
    });

    const httpFunctions: HttpFunction[] = byType('httpTrigger').map((registration) => ({
      registration,
      methods: ((registration.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map(
        (m) => m.toUpperCase(),
      ),
      route: parseRoute(String(registration.trigger.route ?? registration.name)),
    }));
    const routePrefix = hostJson.extensions?.http?.routePrefix ?? 'api';
    let functions: FunctionInfo[] = [];
    const server = createHttpServer({
      routePrefix,
      functions: httpFunctions,
      log,
      admin: {
        list: () => functions,
        run(name, input) {
          const registration = registrations.find((r) => r.name === name);
          if (!registration) return undefined;
          return runByHand(registration, input);
        },
      },
    });
    const runByHand = (registration: Registration, input: unknown) => {
      const type = registration.trigger.type;
      if (type === 'httpTrigger')
        return { status: 400, message: `${registration.name} is an HTTP function: call its URL` };
      if (type === 'timerTrigger') {
        void timers.find((t) => t.name === registration.name)!.runNow(INVOKED);
      } else if (type === 'serviceBusTrigger') {
        void bus
          .queue(queueOf(registration)!)
          .send([{ messageId: randomUUID(), body: messageBody(input) }]);
      } else if (type === 'cosmosDBTrigger') {
        const documents = messageBody(input);
        if (!Array.isArray(documents))
          return {
            status: 400,
            message: `${registration.name} takes { "input": "[ ...documents ]" }`,
          };
        void invokeWithRetry(
          registration,
          [documents],
          { reason: INVOKED },
          log,
          stopping.signal,
        ).catch(() => undefined);
      } else {
        return { status: 400, message: `${registration.name}: ${type} functions cannot run here` };
      }
      return { status: 202, message: 'accepted' };
    };
    const port = await listen(server, options.port ?? 7071);
    cleanups.unshift(() => closeServer(server));
    const url = `http://localhost:${port}`;

    bus.start();
    for (const timer of timers) timer.start();
    for (const feed of feeds) await feed.trigger.start();

    functions = registrations.map((registration): FunctionInfo => {
      const { type } = registration.trigger;
      const http = httpFunctions.find((fn) => fn.registration === registration);
      const timer = timers.find((t) => t.name === registration.name);
      const feed = feeds.find((f) => f.registration === registration);
      return {
        name: registration.name,
        trigger: type,
        ...(http
          ? { url: `${url}/${routePrefix}/${http.route.template}`, methods: http.methods }
          : {}),
        ...(type === 'serviceBusTrigger' ? { queueName: queueOf(registration) } : {}),
        ...(timer ? { schedule: timer.schedule } : {}),
        ...(feed
          ? { container: `${feed.feedOptions.databaseName}/${feed.feedOptions.containerName}` }
          : {}),
      };
    });
    log(
      'information',
      `Functions:\n\n${functions.map(describe).join('\n')}\n\nHost started on ${url} (Ctrl-C stops it)`,
    );

    let stopped: Promise<void> | undefined;
    return {
      url,
      functions,
      stop: () =>
        (stopped ??= (async () => {
          log('information', 'stopping: no new work is taken; what is in flight finishes');
          stopping.abort();
          for (const cleanup of cleanups)
            await cleanup().catch((error: unknown) =>
              log('error', `while stopping: ${String(error)}`),
            );
          log('information', 'host stopped');
        })()),
    };
  } catch (error) {
    stopping.abort();
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    throw error;
  }
}

function describe(info: FunctionInfo): string {
  const detail = info.url
    ? `[${info.methods!.join(',')}] ${info.url}`
    : `${info.trigger}${info.queueName ? ` (queue ${info.queueName})` : ''}${info.schedule ? ` (${info.schedule})` : ''}${info.container ? ` (${info.container})` : ''}`;
  return `        ${info.name}: ${detail}`;
}

/** `%NAME%` in a binding option is the setting NAME (Functions binding expressions). */
export function resolveExpression(functionName: string, text: string, settings: Settings): string {
  return text.replace(/%([^%]+)%/g, (_match, name: string) => {
    const value = settingValue(name, settings);
    if (value === undefined) {
      throw new AppError(
        'HOST_SETTING_MISSING',
        `function ${functionName}: %${name}% names a setting that is not set`,
      );
    }
    return value;
  });
}

/** Input given by hand: JSON when it parses (as Service Bus hands JSON bodies), else the text. */
function messageBody(input: unknown): unknown {
  if (typeof input !== 'string') return input ?? {};
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

function readHostJson(file: string): HostJson {
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as HostJson;
  } catch (error) {
    throw new AppError(
      'HOST_SETTINGS_INVALID',
      `${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new AppError(
              'HOST_PORT_IN_USE',
              `port ${port} is in use (another host running? choose one with --port N)`,
            )
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Stops accepting; requests in flight finish; idle keep-alive sockets are closed. */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
