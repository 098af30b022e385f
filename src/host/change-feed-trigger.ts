import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeFeedStartFrom,
  Container,
  CosmosClient,
  FeedRange,
  StatusCodes,
} from '@azure/cosmos';
import { errorMessage } from '../shared/errors/app-error';
import { HostLog, invokeWithRetry } from './invoke';
import { Registration } from './registrations';

/** A Cosmos DB trigger's options, with `%SETTING%` names already resolved. */
export interface CosmosTriggerOptions {
  databaseName: string;
  containerName: string;
  leaseDatabaseName: string;
  leaseContainerName: string;
  leaseContainerPrefix: string;
  startFromBeginning: boolean;
  startFromTime?: Date;
  maxItemsPerInvocation: number;
  feedPollDelayMs: number;
  leaseExpirationMs: number;
  leaseRenewMs: number;
}

interface Lease {
  id: string;
  owner: string | null;
  continuation: string | null;
  timestamp: string;
  _etag?: string;
}

const ERROR_BACKOFF_MS = 5_000;

/** Reads a trigger binding's options as the Functions extension defaults them. */
export function cosmosTriggerOptions(
  trigger: Record<string, unknown>,
  resolve: (value: string) => string,
): CosmosTriggerOptions {
  const text = (key: string) =>
    typeof trigger[key] === 'string' ? resolve(trigger[key]) : undefined;
  const number = (key: string, fallback: number) =>
    typeof trigger[key] === 'number' ? trigger[key] : fallback;
  const databaseName = text('databaseName')!;
  return {
    databaseName,
    containerName: text('containerName')!,
    leaseDatabaseName: text('leaseDatabaseName') ?? databaseName,
    leaseContainerName: text('leaseContainerName') ?? 'leases',
    leaseContainerPrefix: text('leaseContainerPrefix') ?? '',
    startFromBeginning: trigger.startFromBeginning === true,
    ...(text('startFromTime') ? { startFromTime: new Date(text('startFromTime')!) } : {}),
    maxItemsPerInvocation: number('maxItemsPerInvocation', 100),
    feedPollDelayMs: number('feedPollDelay', 5_000),
    leaseExpirationMs: number('leaseExpirationInterval', 60_000),
    leaseRenewMs: number('leaseRenewInterval', 17_000),
  };
}

/**
 * A Cosmos DB trigger fed from the container's change feed, one lease per feed range in the
 * lease container (as the change feed processor keeps them: continuation, owner, renewed
 * while held), so a restart goes on where it stopped and a second host does not take a range
 * another one holds. As in Azure, a batch whose invocation still fails after the retry policy
 * is checkpointed: the function records what it could not do.
 */
export class ChangeFeedTrigger {
  private readonly owner = `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly registration: Registration,
    private readonly options: CosmosTriggerOptions,
    private readonly client: CosmosClient,
    private readonly log: HostLog,
    private readonly stopping: AbortSignal,
  ) {}

  async start(): Promise<void> {
    const monitored = this.client
      .database(this.options.databaseName)
      .container(this.options.containerName);
    const leases = this.client
      .database(this.options.leaseDatabaseName)
      .container(this.options.leaseContainerName);
    await leases.read().catch((error: unknown) => {
      throw new Error(
        `${this.registration.name}: lease container ${this.options.leaseDatabaseName}/${this.options.leaseContainerName} is not readable (${errorMessage(error)})`,
      );
    });
    const ranges = await monitored.getFeedRanges();
    for (const [index, range] of ranges.entries()) {
      const leaseId = `${this.options.leaseContainerPrefix}${this.options.databaseName}.${this.options.containerName}..${index}`;
      this.loops.push(this.follow(monitored, leases, range, leaseId));
    }
  }

  /** Resolves when every range has finished its batch in flight and released its lease. */
  async stopped(): Promise<void> {
    await Promise.all(this.loops);
  }

  private async follow(
    monitored: Container,
    leases: Container,
    range: FeedRange,
    leaseId: string,
  ): Promise<void> {
    let lease: Lease | undefined;
    let heldBy: string | null | undefined;
    while (!this.stopping.aborted) {
      try {
        lease = await this.acquire(leases, leaseId);
        if (!lease) {
          if (heldBy !== 'other')
            this.log(
              'information',
              `[${this.registration.name}] lease ${leaseId} is held by another host; waiting`,
            );
          heldBy = 'other';
          await this.pause(this.options.leaseExpirationMs / 4);
          continue;
        }
        heldBy = this.owner;
        await this.drain(monitored, leases, range, lease);
      } catch (error) {
        this.log(
          'error',
          `[${this.registration.name}] change feed of ${this.options.containerName}: ${errorMessage(error)}; retrying in ${ERROR_BACKOFF_MS / 1000} s`,
        );
        await this.pause(ERROR_BACKOFF_MS);
      }
    }
    if (lease) await this.release(leases, leaseId);
  }

  /** Reads and hands over batches until the host stops; each checkpoint renews the lease. */
  private async drain(
    monitored: Container,
    leases: Container,
    range: FeedRange,
    initial: Lease,
  ): Promise<void> {
    let lease = initial;
    const iterator = monitored.items.getChangeFeedIterator<Record<string, unknown>>({
      maxItemCount: this.options.maxItemsPerInvocation,
      changeFeedStartFrom: lease.continuation
        ? ChangeFeedStartFrom.Continuation(lease.continuation)
        : this.options.startFromBeginning
          ? ChangeFeedStartFrom.Beginning(range)
          : this.options.startFromTime
            ? ChangeFeedStartFrom.Time(this.options.startFromTime, range)
            : ChangeFeedStartFrom.Now(range),
    });
    let renewedAt = Date.now();
    while (!this.stopping.aborted) {
      const page = await iterator.readNext();
      const caughtUp = page.statusCode === StatusCodes.NotModified || page.result.length === 0;
      if (!caughtUp) {
        await invokeWithRetry(
          this.registration,
          [page.result],
          {
            reason: `New changes on container '${this.options.containerName}' at ${new Date().toISOString()}`,
          },
          this.log,
          this.stopping,
        ).catch(() => {
          this.log(
            'warning',
            `[${this.registration.name}] ${page.result.length} changes checkpointed after the invocation failed`,
          );
        });
      }
      const moved = page.continuationToken && page.continuationToken !== lease.continuation;
      if (moved || Date.now() - renewedAt > this.options.leaseRenewMs) {
        lease = await this.checkpoint(leases, lease, page.continuationToken ?? lease.continuation);
        renewedAt = Date.now();
      }
      if (caughtUp) await this.pause(this.options.feedPollDelayMs);
    }
  }

  /** The lease, taken for this host, or undefined while another host holds it unexpired. */
  private async acquire(leases: Container, id: string): Promise<Lease | undefined> {
    const now = new Date().toISOString();
    const existing = await readLease(leases, id);
    if (!existing) {
      try {
        const { resource } = await leases.items.create<Lease>({
          id,
          owner: this.owner,
          continuation: null,
          timestamp: now,
        });
        return resource;
      } catch (error) {
        if ((error as { code?: number }).code === 409) return undefined;
        throw error;
      }
    }
    const expired = Date.now() - Date.parse(existing.timestamp) > this.options.leaseExpirationMs;
    if (existing.owner && existing.owner !== this.owner && !expired) return undefined;
    return this.checkpoint(leases, existing, existing.continuation);
  }

  private async checkpoint(
    leases: Container,
    lease: Lease,
    continuation: string | null,
  ): Promise<Lease> {
    const next: Lease = {
      id: lease.id,
      owner: this.owner,
      continuation,
      timestamp: new Date().toISOString(),
    };
    const { resource } = await leases.item(lease.id, lease.id).replace<Lease>(next, {
      accessCondition: { type: 'IfMatch', condition: lease._etag! },
    });
    return resource!;
  }

  private async release(leases: Container, id: string): Promise<void> {
    const lease = await readLease(leases, id).catch(() => undefined);
    if (!lease || lease.owner !== this.owner) return;
    await leases
      .item(id, id)
      .replace({ ...lease, owner: null })
      .catch(() => undefined);
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopping }).catch(() => undefined);
  }
}

async function readLease(leases: Container, id: string): Promise<Lease | undefined> {
  try {
    const { resource } = await leases.item(id, id).read<Lease>();
    return resource;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}
