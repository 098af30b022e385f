import { startHost } from '../../host/host';
import { EXIT_OK } from '../output';

/**
 * `cosmos-migration host [--port N]` (`npm start`): the function app until Ctrl-C. The first
 * Ctrl-C stops it cleanly (work in flight finishes, queued messages stay in their journals);
 * a second one ends the process at once (still nothing lost: the journals are on disk).
 */
export async function hostCommand(port: number | undefined): Promise<number> {
  const host = await startHost({ port });
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await host.stop();
  return EXIT_OK;
}
