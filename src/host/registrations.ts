import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { AppError } from '../shared/errors/app-error';

/** A binding as the library hands it to the Functions worker (`toCoreFunctionMetadata`). */
export interface BindingMetadata {
  type: string;
  direction: 'in' | 'out';
  [option: string]: unknown;
}

/** `retryOptions` of a registration; durations arrive as `{ seconds }`. */
export interface RetryMetadata {
  retryStrategy: 'fixedDelay' | 'exponentialBackoff';
  maxRetryCount: number;
  delayInterval?: { seconds: number };
  minimumInterval?: { seconds: number };
  maximumInterval?: { seconds: number };
}

export type FunctionHandler = (...args: unknown[]) => unknown;

/** One `app.<trigger>(...)` call of the app, exactly as the Functions worker receives it. */
export interface Registration {
  name: string;
  trigger: BindingMetadata;
  retry?: RetryMetadata;
  handler: FunctionHandler;
}

interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, BindingMetadata>;
  retryOptions?: RetryMetadata;
}

const CORE_MODULE = '@azure/functions-core';

let collecting: Registration[] | undefined;

/** What the Functions worker provides as `@azure/functions-core`, as far as the library uses it. */
const core = {
  version: '4.0.0-local',
  hostVersion: '4.0.0-local',
  setProgrammingModel: () => undefined,
  registerHook: () => ({ dispose: () => undefined }),
  log: () => undefined,
  registerFunction(metadata: CoreFunctionMetadata, handler: FunctionHandler) {
    if (!collecting) {
      throw new AppError('HOST_LATE_REGISTRATION', `function ${metadata.name} registered late`);
    }
    const trigger = Object.values(metadata.bindings).find((binding) =>
      binding.type.endsWith('Trigger'),
    );
    if (!trigger) {
      throw new AppError('HOST_INVALID_FUNCTION', `function ${metadata.name} has no trigger`);
    }
    if (collecting.some((known) => known.name === metadata.name)) {
      throw new AppError(
        'HOST_DUPLICATE_FUNCTION',
        `function ${metadata.name} is registered twice`,
      );
    }
    collecting.push({ name: metadata.name, trigger, retry: metadata.retryOptions, handler });
    return { dispose: () => undefined };
  },
};

/**
 * Loads the app's modules with a stand-in for `@azure/functions-core`, the module the
 * Functions worker provides: every `app.http/timer/serviceBusQueue/cosmosDB(...)` of the app
 * reaches `registerFunction`, so the host serves the real registrations and handlers and
 * keeps no second list of them. The library looks the module up once and caches the answer,
 * so the stand-in is in place before any function module is required, and stays one object.
 */
export function loadRegistrations(modules: readonly string[]): Registration[] {
  const prototype = Module.prototype as unknown as { require: (id: string) => unknown };
  const original = prototype.require;
  prototype.require = new Proxy(original, {
    apply: (target, self, args: [string]) =>
      args[0] === CORE_MODULE ? core : Reflect.apply(target, self, args),
  });
  const registrations: Registration[] = [];
  collecting = registrations;
  try {
    // A module registers when it runs: a second load in this process must run it again.
    for (const file of modules) delete require.cache[require.resolve(file)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the app registers when its modules run
    for (const file of modules) require(file);
  } finally {
    collecting = undefined;
    prototype.require = original;
  }
  return registrations;
}

/**
 * The app's entry modules as package.json `main` names them for the deployed app
 * (`dist/src/{index.js,functions/*.js}`): here the same files, as TypeScript sources when the
 * host itself runs from them, else as the compiled ones beside it.
 */
export function appModules(functionsDir = path.resolve(__dirname, '..', 'functions')): string[] {
  const extension = path.extname(__filename);
  const entry = path.resolve(functionsDir, '..', `index${extension}`);
  if (!fs.existsSync(functionsDir)) {
    throw new AppError('HOST_NO_FUNCTIONS', `no functions directory at ${functionsDir}`);
  }
  const functions = fs
    .readdirSync(functionsDir)
    .filter((file) => file.endsWith(extension) && !file.endsWith('.d.ts'))
    .sort()
    .map((file) => path.join(functionsDir, file));
  return [...(fs.existsSync(entry) ? [entry] : []), ...functions];
}
