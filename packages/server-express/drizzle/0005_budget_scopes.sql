DROP INDEX "stream_budgets_tenant_period_uq";--> statement-breakpoint
ALTER TABLE "stream_budgets" ADD COLUMN "scope_type" text DEFAULT 'tenant' NOT NULL;--> statement-breakpoint
ALTER TABLE "stream_budgets" ADD COLUMN "scope_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX "stream_billing_records_user_billed_idx" ON "stream_billing_records" USING btree ("tenant_id","user_id",coalesce("ended_at", "started_at")) WHERE "stream_billing_records"."state" = 'final' and "stream_billing_records"."user_id" is not null;--> statement-breakpoint
CREATE INDEX "stream_billing_records_key_billed_idx" ON "stream_billing_records" USING btree ("tenant_id","api_key_id",coalesce("ended_at", "started_at")) WHERE "stream_billing_records"."state" = 'final';--> statement-breakpoint
CREATE UNIQUE INDEX "stream_budgets_scope_period_uq" ON "stream_budgets" USING btree ("tenant_id","scope_type","scope_id","period");