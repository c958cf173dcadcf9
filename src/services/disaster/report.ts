// What a disaster recovery reports (its own module: start.ts fills StackRecovery, disaster.ts the whole).

export interface StackRecovery {
  stack: string;
  /** What it was when the doomsday backup ran. */
  wasRunning: boolean;
  state: "running" | "unhealthy" | "stopped" | "failed" | "not-started";
  containers: Array<{ name: string; status: string; health?: string }>;
  dumps: string[];
  error?: string;
}

export interface DisasterReport {
  snapshot: string;
  snapshotTime: string;
  host: string;
  resumed: boolean;
  created: { networks: string[]; volumes: string[] };
  imagesLoaded: string[];
  stacks: StackRecovery[];
  /** Containers started outside Compose on the old host: their volumes are back, the containers are for you to recreate. */
  manualContainers: Array<{ name: string; image: string }>;
  /** Host files from the snapshot, put aside for review (daemon.json...). */
  files: Record<string, string>;
  warnings: string[];
  durationMs: number;
  exitCode: number;
}
