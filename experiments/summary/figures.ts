/**
 * The figures more than one scenario answers. Figures 1 and 2 come from
 * every session run (summarize.ts); 3a and 3b from each scenario in which
 * workers join later. A figure only one scenario answers lives in that
 * scenario's file.
 */
import type { Figure } from './figure.ts';

export const IN_TRANSIT: Figure = {
  id: 'in-transit',
  header: '1. max in transit per worker',
  legend: 'Largest number of messages the sidecar had handed to gRPC for one worker that the worker had not started (dispatched in Stats minus `worker_messages_started_total`)',
};

export const BACKLOG: Figure = {
  id: 'backlog',
  header: '2. client backlog p50 / p95 / p99 / max',
  legend: 'Dispatch to start of processing, per message, from its `backlog wait` span',
};

export const FIRST_MESSAGE: Figure = {
  id: 'first-message',
  header: '3a. new worker: first message after',
  legend: 'Slowest of the new workers, from its `worker started` log line to the start of its first message; "never": it got none.',
};

export const TAKEN_OVER: Figure = {
  id: 'taken-over',
  header: '3b. in transit when they joined → taken by them',
  legend: 'Messages in transit to the workers already running at the moment the first new worker came up, and how many of those the new workers ever processed.',
};
