// The task piscina and tinypool run: the same trivial work as the other variants.
export default function addOne(x) {
  return x + 1;
}
