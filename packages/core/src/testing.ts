// @twin/core/testing: fixtures for the tests of code built on Twin (Twin's own packages use them
// too). Not for production code paths.

export { testBillingConfig } from './billing/test-billing-config';
