import { app } from '@azure/functions';
import { limitHeapGrowth } from './shared/runtime/heap-growth';

// Registration happens in each src/functions/*.ts; the host loads them through package.json "main".
app.setup({ enableHttpStream: false });
limitHeapGrowth();
