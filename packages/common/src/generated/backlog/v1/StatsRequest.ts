// Original file: proto/backlog/v1/backlog.proto


export interface StatsRequest {
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface StatsRequest__Output {
  'pageSize': (number);
  'pageToken': (string);
}
