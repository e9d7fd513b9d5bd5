export { FIXTURES_DIR, fixtureDir, parityFixtureNames as fixtureNames, scaledMaxDiff } from '../src/testing/index.js';
