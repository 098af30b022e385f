/** What both `pg.Pool` and `pg.Client` offer. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
