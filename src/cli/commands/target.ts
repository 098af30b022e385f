import { createCosmosClient } from '../../shared/cosmos/client';
import { describeCosmosError, initTarget } from '../../shared/cosmos/target';
import { Environment } from '../environment';
import { EXIT_OK, Output } from '../output';

export async function initTargetCommand(env: Environment, output: Output): Promise<number> {
  const { cosmos } = env.config;
  const client = createCosmosClient(cosmos);
  try {
    const created = await initTarget(client, cosmos.database, cosmos.throughputMode);
    output.result(
      { database: cosmos.database, created },
      () =>
        `database ${cosmos.database} ready; ${created.length ? `created ${created.join(', ')}` : 'all containers already existed'}`,
    );
    return EXIT_OK;
  } catch (error) {
    throw describeCosmosError(error);
  } finally {
    client.dispose();
  }
}
