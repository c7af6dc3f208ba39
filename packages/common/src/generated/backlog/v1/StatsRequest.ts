// Original file: proto/backlog/v1/backlog.proto


export interface StatsRequest {
}

export interface StatsRequest__Output {
}
