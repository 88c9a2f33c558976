// The `deployed` jest project: suites run against the bundles of the cloud assembly that
// deployed-global-setup.mjs synthesized (test-stack.ts reads DEPLOYED_ASSEMBLY).
process.env.DEPLOYED_ASSEMBLY = process.env.LINE_ID_LINK_TEST_ASSEMBLY;
