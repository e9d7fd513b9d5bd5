import { ConfigError } from '../config/config-reader.js';
import type { FamilyAdapter } from './adapter.js';
import { bloomAdapter } from './bloom.js';
import { gptNeoxAdapter } from './gpt-neox.js';
import { gpt2Adapter } from './gpt2.js';
import { gemma2Adapter, gemma3TextAdapter, gemmaAdapter } from './gemma.js';
import { llamaAdapter, mistralAdapter, mixtralAdapter, olmo2Adapter, qwen2Adapter, qwen3Adapter } from './llama.js';
import { phi3Adapter } from './phi3.js';
import { optAdapter } from './opt.js';
import { phiAdapter } from './phi.js';
import { sinkscopeAdapter } from './sinkscope-trainer.js';

const registry = new Map<string, FamilyAdapter>();

/** Register a family adapter under each of its model types (a new family is one file plus this call). */
export function registerFamily(adapter: FamilyAdapter): void {
  for (const t of adapter.modelTypes) registry.set(t, adapter);
}

for (const a of [
  bloomAdapter,
  gpt2Adapter,
  gptNeoxAdapter,
  llamaAdapter,
  mistralAdapter,
  mixtralAdapter,
  qwen2Adapter,
  qwen3Adapter,
  olmo2Adapter,
  gemmaAdapter,
  gemma2Adapter,
  gemma3TextAdapter,
  phi3Adapter,
  optAdapter,
  phiAdapter,
  sinkscopeAdapter,
]) {
  registerFamily(a);
}

export function supportedModelTypes(): string[] {
  return [...registry.keys()].sort();
}

export function familyFor(modelType: string, configFile: string): FamilyAdapter {
  const adapter = registry.get(modelType);
  if (!adapter) {
    throw new ConfigError(configFile, 'model_type', `'${modelType}' is not supported (supported: ${supportedModelTypes().join(', ')})`);
  }
  return adapter;
}
