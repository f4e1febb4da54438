// The raw baseline worker as a web Worker: replies to [id, x] with [id, x + 1].
self.onmessage = (e) => self.postMessage([e.data[0], e.data[1] + 1]);
