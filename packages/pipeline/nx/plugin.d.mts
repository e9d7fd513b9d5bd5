// Types of the plain-JS Nx plugin, for the tests that call it.
import type { CreateNodesV2 } from '@nx/devkit';

export declare const createNodesV2: CreateNodesV2;
