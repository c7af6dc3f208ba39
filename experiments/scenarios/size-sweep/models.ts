/**
 * Each form of the backlog model the size sweep can predict with, by the id
 * a stack's entry in variants/stacks.ts names. A stack whose client follows
 * a new form adds its file here and one line below.
 */
import { callBuffers } from './call-buffers.ts';
import { grownWindow } from './grown-window.ts';
import type { SizeSweepOf, SweepModel, SweepModels } from './types.ts';
import type { BacklogModelId } from '../../variants/stacks.ts';

export const SWEEP_MODELS: SweepModels = {
  'call-buffers': callBuffers,
  'grown-window': grownWindow,
};

/** The model a run was predicted with, typed to the run's own form. */
export function modelOf<F extends BacklogModelId>(run: SizeSweepOf<F>): SweepModel<F> {
  return SWEEP_MODELS[run.model];
}
