/** What the running kernel can do, by its version. */
import { release } from 'node:os';

/** Whether a kernel release string (`6.18.44-fc-v657`) is `major.minor` or later. */
export function releaseAtLeast(text: string, major: number, minor: number): boolean {
  const [have = 0, haveMinor = 0] = text.split('.').map((part) => Number.parseInt(part, 10));
  return have > major || (have === major && haveMinor >= minor);
}

/** Whether the running kernel is `major.minor` or later. */
export function kernelAtLeast(major: number, minor: number): boolean {
  return releaseAtLeast(release(), major, minor);
}
