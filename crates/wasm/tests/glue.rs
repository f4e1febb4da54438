//! The glue's exports, run inside the threaded module by wasm-bindgen-test-runner on Node.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test;
use weft_wasm::{
    alloc_words, core_version, count_primes, diag_atomic_increments, diag_plain_increments,
    free_words,
};

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(core_version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn words_are_zeroed_aligned_and_reusable() {
    let a = alloc_words(4).unwrap();
    assert_eq!(a % 4, 0);
    // SAFETY: `a` points at 4 words just allocated for this test.
    let slice = unsafe { std::slice::from_raw_parts(a as usize as *const u32, 4) };
    assert_eq!(slice, &[0, 0, 0, 0]);
    assert_eq!(diag_atomic_increments(a, 1000).unwrap(), 1000);
    assert_eq!(diag_plain_increments(a, 24).unwrap(), 1024);
    free_words(a, 4).unwrap();
}

#[wasm_bindgen_test]
fn bad_counts_and_addresses_are_errors() {
    assert!(alloc_words(0).is_err());
    assert!(free_words(0, 1).is_err());
    assert!(free_words(6, 1).is_err());
    assert!(diag_atomic_increments(2, 1).is_err());
}

#[wasm_bindgen_test]
fn primes() {
    assert_eq!(count_primes(0, 10_000), 1229);
}

use wasm_bindgen::JsValue;
use weft_wasm::{
    analyze_call_site, generate_module, mutex_create, mutex_lock_step, mutex_release, mutex_retain,
    mutex_spin_lock, mutex_unlock, new_expression_at, semaphore_begin_acquire, semaphore_create,
    semaphore_release_block, semaphore_release_permits, semaphore_try_acquire, step_attempt,
};

fn get(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &key.into()).unwrap()
}

#[wasm_bindgen_test]
fn mutex_block_steps_and_refcount() {
    let m = mutex_create().unwrap();
    // The uncontended compare-exchanges run in JS; the glue's first step is the spin.
    assert!(mutex_spin_lock(m), "a free mutex is taken at once");
    assert!(!mutex_spin_lock(m), "held, and nobody frees it");
    assert_eq!(mutex_lock_step(m, 0), 1, "held: wait unbounded");
    let attempt = step_attempt();
    assert!(mutex_unlock(m).unwrap(), "a parked waiter must be woken");
    assert_eq!(mutex_lock_step(m, attempt), 0, "the waiter takes it");
    assert!(!mutex_unlock(m).unwrap());
    assert!(
        mutex_unlock(m).is_err(),
        "unlocking a free mutex is an error"
    );
    mutex_retain(m).unwrap();
    assert!(!mutex_release(m).unwrap(), "one reference left");
    assert!(
        mutex_release(m).unwrap(),
        "the last release frees the block"
    );
}

#[wasm_bindgen_test]
fn semaphore_block_capacity_errors() {
    let s = semaphore_create(2, 2).unwrap();
    assert!(semaphore_try_acquire(s, 2).unwrap());
    assert!(!semaphore_try_acquire(s, 1).unwrap());
    let error = semaphore_begin_acquire(s, 3).unwrap_err();
    assert_eq!(
        get(&error, "code"),
        JsValue::from("WEFT_SEMAPHORE_EXCEEDS_CAPACITY")
    );
    assert!(!semaphore_release_permits(s, 2).unwrap());
    assert!(
        semaphore_release_permits(s, 1).is_err(),
        "more than were taken"
    );
    assert!(semaphore_create(0, 0).is_err());
    assert!(semaphore_release_block(s).unwrap());
}

#[wasm_bindgen_test]
fn analyzer_round_trip_and_errors_inside_wasm() {
    let url = "file:///app/main.js";
    let source = "import { spawn } from 'weft';\nconst k = 2;\nexport function f(x) { return eval(spawn(() => x * k)); }\n";
    let text = JsValue::from_str(source);
    let closure = analyze_call_site(url, &text, 3, 37, None).unwrap();
    let id = get(&closure, "id").as_string().unwrap();
    let locals = js_sys::Array::from(&get(&closure, "locals"));
    assert_eq!(get(&locals.get(0), "name"), JsValue::from("x"));
    let module = generate_module(url, &id, vec!["k".into()], JsValue::UNDEFINED).unwrap();
    assert!(get(&module, "code")
        .as_string()
        .unwrap()
        .contains("__weft_top"));
    let position = js_sys::Array::from(
        &new_expression_at(
            "file:///app/g.js",
            &JsValue::from_str("const g = new Map();\n"),
            1,
            15,
        )
        .unwrap(),
    );
    assert_eq!(position.get(1), JsValue::from(11));

    // Too deep: a typed error, and the instance keeps working.
    let deep = format!("spawn(() => {}0{});\n", "[".repeat(5000), "]".repeat(5000));
    let error = analyze_call_site("file:///app/deep.js", &JsValue::from_str(&deep), 1, 1, None)
        .unwrap_err();
    assert_eq!(get(&error, "kind"), JsValue::from("TooDeep"));
    assert!(analyze_call_site(url, &text, 3, 37, None).is_ok());
    // Equal text in another string instance: the cached parse, the closure ids unchanged.
    let again = analyze_call_site(url, &JsValue::from_str(source), 3, 37, None).unwrap();
    assert_eq!(get(&again, "id").as_string().unwrap(), id);
    assert!(generate_module(url, &id, vec![], JsValue::UNDEFINED).is_ok());
    let error = analyze_call_site(
        "file:///app/bad.js",
        &JsValue::from_str("spawn(() => {\n"),
        1,
        1,
        None,
    )
    .unwrap_err();
    assert_eq!(get(&error, "kind"), JsValue::from("Parse"));
}
