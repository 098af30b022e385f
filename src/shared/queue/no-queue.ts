import { AppError } from '../errors/app-error';
import { MessageQueue } from './queue';

/** For an engine that never sends work (the application's data library): a clear error if it does. */
export const noQueue = <T>(purpose: string): MessageQueue<T> => ({
  send: () =>
    Promise.reject(
      new AppError('QUEUE_NOT_AVAILABLE', `${purpose} has no queue: it only reads and writes data`),
    ),
});
