// The API's shapes, from their one definition: the server's import-free src/admin/admin-api-types.ts
// and core's protocol types. Type-only: nothing of either is bundled into the page.
export type * from '../../src/admin/admin-api-types';
export type { Invoice, StreamBillingRecord, StreamMetrics, StreamUsageReport } from '@twin/core';
