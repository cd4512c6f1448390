import { defineConfig } from 'tsup';
import { LIBRARY_BUILD } from '../../scripts/tsup-library';

export default defineConfig({ ...LIBRARY_BUILD, entry: ['src/index.ts'] });
