import fs from 'node:fs';
import path from 'node:path';
import { QueueJournal } from '../shared/queue/in-process-queue';
import { QueueMessage } from '../shared/queue/queue';

type Entry<T> = { sent: QueueMessage<T> } | { settled: string };

/**
 * A queue's messages on disk, so that what the host had not finished when it stopped (Ctrl-C,
 * a crash) is delivered again when it starts: Service Bus keeps them, so the local queue does
 * too. An append-only file of "sent" and "settled" lines, compacted to what is pending on open.
 */
export class FileQueueJournal<T> implements QueueJournal<T> {
  private constructor(private readonly file: string) {}

  /** Opens the journal and returns the messages it still holds, oldest first. */
  static open<T>(
    dir: string,
    queueName: string,
  ): { journal: FileQueueJournal<T>; pending: QueueMessage<T>[] } {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${encodeURIComponent(queueName)}.jsonl`);
    const pending = new Map<string, QueueMessage<T>>();
    if (fs.existsSync(file)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const entry = parseLine<T>(line);
        if (!entry) continue;
        if ('sent' in entry) pending.set(entry.sent.messageId, entry.sent);
        else pending.delete(entry.settled);
      }
    }
    const compacted = [...pending.values()].map((sent) => `${JSON.stringify({ sent })}\n`).join('');
    fs.writeFileSync(`${file}.tmp`, compacted);
    fs.renameSync(`${file}.tmp`, file);
    return { journal: new FileQueueJournal<T>(file), pending: [...pending.values()] };
  }

  // Synchronous appends keep the file in the order things happened, even across a crash.
  accepted(message: QueueMessage<T>): void {
    fs.appendFileSync(this.file, `${JSON.stringify({ sent: message })}\n`);
  }

  settled(message: QueueMessage<T>): void {
    fs.appendFileSync(this.file, `${JSON.stringify({ settled: message.messageId })}\n`);
  }
}

/** A line cut short by a crash is skipped; its message was not acknowledged to its sender. */
function parseLine<T>(line: string): Entry<T> | undefined {
  if (line.trim() === '') return undefined;
  try {
    return JSON.parse(line) as Entry<T>;
  } catch {
    return undefined;
  }
}
