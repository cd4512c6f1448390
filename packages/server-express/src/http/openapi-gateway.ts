import type { z } from 'zod';
import { createKeyBodySchema, rotateKeyBodySchema, tenantLimitsBodySchema, updateKeyBodySchema } from '../auth/key-admin';
import { jsonRequestBody, jsonResponse, schemaOf, type Json } from './openapi-parts';

const body = (schema: z.ZodType): Json => jsonRequestBody(schemaOf(schema));
const ok = (description = 'OK') => jsonResponse({ type: 'object' }, description);
const error = { $ref: '#/components/responses/Error' };
const errors = { '400': error, '401': error, '403': error, '404': error };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** The key, tenant-limit and admin routes of the gateway, for `/openapi.json` (from the zod schemas that validate them). */
export function gatewayOpenApiPaths(errorResponse: Json): { paths: Json; responses: Json } {
  return {
    responses: { Error: errorResponse },
    paths: {
      '/api/stream/{id}/events': {
        get: { summary: "A stream's audit events, oldest first: start, every provider a fallback chain tried (`provider.attempt`), end.", parameters: [id], responses: { '200': ok(), ...errors } },
      },
      '/api/keys': {
        get: { summary: 'API keys of the caller\'s tenant (admins: every tenant, or `?tenant=`). Never a secret.', parameters: [{ name: 'tenant', in: 'query', required: false, schema: { type: 'string' } }], responses: { '200': ok(), ...errors } },
        post: { summary: 'Create a key (admin: any tenant; tenant-admin: its own). The answer holds the secret, this once.', requestBody: body(createKeyBodySchema), responses: { '201': ok('Created: `key` is the secret'), ...errors } },
      },
      '/api/keys/{id}': {
        get: { summary: 'One key.', parameters: [id], responses: { '200': ok(), ...errors } },
        patch: { summary: 'Change a key: label, expiry, allow-lists, limits.', parameters: [id], requestBody: body(updateKeyBodySchema), responses: { '200': ok(), ...errors } },
        delete: { summary: 'Revoke a key.', parameters: [id], responses: { '200': ok(), ...errors } },
      },
      '/api/keys/{id}/rotate': {
        post: { summary: 'A new secret with the same settings; the old key is revoked, or expires after `graceSeconds`.', parameters: [id], requestBody: { ...body(rotateKeyBodySchema), required: false }, responses: { '201': ok(), ...errors, '409': error } },
      },
      '/api/tenants/{id}/limits': {
        get: { summary: "A tenant's requests and tokens per minute.", parameters: [id], responses: { '200': ok(), ...errors } },
        put: { summary: "Set a tenant's limits (admin).", parameters: [id], requestBody: body(tenantLimitsBodySchema), responses: { '200': ok(), ...errors } },
      },
      '/api/admin/routing': { get: { summary: 'Providers, aliases, circuit states and the routing config in force (admin).', responses: { '200': ok(), ...errors } } },
      '/api/admin/routing/reload': { post: { summary: 'Re-read the routing config file (admin); 400 names the path of an invalid value.', responses: { '200': ok(), ...errors } } },
      '/api/admin/webhooks/deliveries': {
        get: {
          summary: 'The alert webhook delivery log, newest first (admin).',
          parameters: ['status', 'limit', 'before', 'tenant'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
          responses: { '200': ok(), ...errors },
        },
      },
      '/api/admin/alerts/test': { post: { summary: 'Raise a `test` alert and answer with its webhook deliveries (admin).', responses: { '201': ok(), ...errors } } },
    },
  };
}
