// Original file: proto/backlog/v1/backlog.proto

import type { WorkerStats as _backlog_v1_WorkerStats, WorkerStats__Output as _backlog_v1_WorkerStats__Output } from '../../backlog/v1/WorkerStats';
import type { Totals as _backlog_v1_Totals, Totals__Output as _backlog_v1_Totals__Output } from '../../backlog/v1/Totals';
import type { Upstream as _backlog_v1_Upstream, Upstream__Output as _backlog_v1_Upstream__Output } from '../../backlog/v1/Upstream';
import type { Long } from '@grpc/proto-loader';

export interface StatsResponse {
  'queueDepth'?: (number | string | Long)[];
  'workers'?: (_backlog_v1_WorkerStats)[];
  'totals'?: (_backlog_v1_Totals | null);
  'atUnixNano'?: (number | string | Long);
  'nextPageToken'?: (string);
  'upstream'?: (_backlog_v1_Upstream | null);
  'oldestQueuedPublishedAtUnixNano'?: (number | string | Long);
}

export interface StatsResponse__Output {
  'queueDepth': (string)[];
  'workers': (_backlog_v1_WorkerStats__Output)[];
  'totals': (_backlog_v1_Totals__Output | null);
  'atUnixNano': (string);
  'nextPageToken': (string);
  'upstream': (_backlog_v1_Upstream__Output | null);
  'oldestQueuedPublishedAtUnixNano': (string);
}
