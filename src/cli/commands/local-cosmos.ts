import { startLocalCosmos } from '../../shared/local/local-cosmos';
import { EXIT_OK, Output } from '../output';

/** `cosmos-migration local-cosmos [--port N]`: the local Cosmos server in the foreground, until Ctrl-C. */
export async function localCosmosCommand(
  output: Output,
  port: number | undefined,
): Promise<number> {
  const cosmos = await startLocalCosmos({ port, onLog: (line) => output.info(line) });
  output.result(
    { endpoint: cosmos.endpoint, key: cosmos.key },
    () =>
      `local Cosmos server at ${cosmos.endpoint}\n` +
      `  COSMOS_ENDPOINT=${cosmos.endpoint}\n  COSMOS_KEY=${cosmos.key}\n` +
      `(in memory: its data ends with it; Ctrl-C stops it)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cosmos.stop();
  return EXIT_OK;
}
