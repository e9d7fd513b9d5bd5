export { FIXTURES_DIR, closeRel, fixtureNames, loadFixture, type Fixture } from '@sinkscope/model-io/testing';
