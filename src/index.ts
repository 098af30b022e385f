import { app } from '@azure/functions';

// Registration happens in each src/functions/*.ts; the host loads them through package.json "main".
app.setup({ enableHttpStream: false });
