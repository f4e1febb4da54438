// One end of the MessageChannel baseline: a producer posts n small objects, a consumer counts them.
export function item(i) {
  return { id: i, name: "item", value: i * 1.5 };
}

export function servePort({ role, port, n }, done) {
  if (role === "producer") {
    for (let i = 0; i < n; i++) port.postMessage(item(i));
    done();
    return;
  }
  let count = 0;
  let sum = 0;
  const onMessage = (m) => {
    sum += (m.data ?? m).id;
    if (++count === n) {
      if (sum !== (n * (n - 1)) / 2) throw new Error(`the consumer got the wrong items: ${sum}`);
      port.close();
      done();
    }
  };
  if (typeof port.on === "function") port.on("message", onMessage);
  else port.onmessage = onMessage;
  port.start?.();
}
