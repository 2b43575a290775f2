/* sm-corpus-stories.c: what SmallMind's corpus says: the words, the cast, the stories and the
 * dialogues, and how often each plan is told.  The machinery that expands the templates and
 * writes the files is sm-corpus.c; a new story is a function here and a row in plans[].
 *
 * In a template, [a|b|c] picks one alternative (they nest), {key} is a word of the document's
 * cast ("name", "he", "fname", "obj" ...) and {Key} the same capitalised.
 */
#include "sm-corpus-private.h"

#include <string.h>

/* ---- words ------------------------------------------------------------------------------------- */

static const char *const girl_names[] = {
  "Lily", "Mia", "Emma", "Sara", "Anna", "Zoe", "Lucy", "Ella", "Amy", "Ruby", "Nora", "Ivy",
  "Maya", "Rosa", "Grace", "Hannah", "Chloe", "Lola", "Molly", "Sophie", "Alice", "Clara",
  "Jenny", "Kate", "Nina", "Olivia", "Poppy", "Rose", "Tara", "Wendy", "Bella", "Fiona",
  "Heidi", "Iris", "June", "Leah", "Mila", "Sally", "Eva", "Lena",
};
static const char *const boy_names[] = {
  "Tom", "Ben", "Max", "Leo", "Jack", "Sam", "Tim", "Noah", "Finn", "Jake", "Oliver", "Owen",
  "Eli", "Adam", "Luke", "Kai", "Alex", "Danny", "Eric", "Felix", "George", "Henry", "Ian",
  "Joe", "Kevin", "Liam", "Mark", "Ned", "Oscar", "Peter", "Ray", "Simon", "Ted", "Victor",
  "Will", "Billy", "Charlie", "Dylan", "Evan", "Hugo",
};
static const char *const pet_names[] = {
  "Pip", "Coco", "Benny", "Toby", "Milo", "Lulu", "Ziggy", "Nutmeg", "Patch", "Biscuit",
  "Pepper", "Sunny", "Bubbles", "Fluffy", "Snowy", "Rusty", "Dotty", "Button", "Hazel", "Maple",
  "Clover", "Socks", "Whiskers", "Bramble", "Pebble", "Honey", "Acorn", "Tuffy",
};
static const char *const animal_kinds[] = {
  "bunny", "puppy", "kitten", "bear", "fox", "duck", "mouse", "frog", "owl", "squirrel", "pig",
  "lamb", "hedgehog", "turtle", "goat", "chick", "raccoon", "badger",
};
static const char *const hero_adjs[] = {
  "little", "kind", "curious", "brave", "happy", "shy", "clever", "gentle", "funny", "busy",
  "cheerful", "sleepy", "friendly", "playful", "quiet", "small", "young", "silly",
};
static const char *const human_homes[] = {
  "in a small house by the sea", "in a big city", "on a farm", "in a little village",
  "near a green forest", "in a yellow house on a hill", "in a tall building with many windows",
  "in a cozy house with a red door", "next to a busy market", "by a quiet river",
};
static const char *const animal_homes[] = {
  "in a hole under an old tree", "in a cozy nest", "by a quiet pond", "in the middle of the forest",
  "in a barn on a farm", "in a burrow near the river", "in a hollow log", "at the edge of a meadow",
  "under a big green bush", "in a little house made of sticks",
};
static const char *const human_likes[] = {
  "play outside", "draw pictures", "sing songs", "read books", "run in the grass",
  "build tall towers", "look at the stars", "help {his} {parent}", "jump in puddles",
  "pick flowers", "dance in the kitchen", "climb trees", "ride {his} bike", "watch the clouds",
  "play with {his} dog", "make things out of paper", "bake with {his} {parent}", "fly {his} kite",
};
static const char *const animal_likes[] = {
  "play in the leaves", "hop around the meadow", "look for berries", "splash in the pond",
  "chase butterflies", "nap in the sun", "collect shiny stones", "sing in the morning",
  "run through the tall grass", "roll down the hill", "listen to the birds", "dig in the soft dirt",
};
static const char *const colors[] = {
  "red", "blue", "green", "yellow", "purple", "pink", "orange", "white", "brown", "black",
};
static const char *const pet_colors[] = {
  "white", "black", "brown", "gray", "orange", "spotted", "striped", "fluffy",
};
static const char *const toys[] = {
  "ball", "kite", "teddy bear", "toy car", "doll", "hat", "boat", "drum", "whistle", "train",
  "truck", "balloon", "scarf", "puzzle piece", "yo-yo", "mitten", "toy robot", "marble",
};
static const char *const hiding_places[] = {
  "under the sofa", "in the dog's bed", "behind the curtain", "in the laundry basket",
  "in the flower pot", "under a pile of leaves", "inside {his} boot", "in the bathtub",
  "under {his} pillow", "in the garden by the roses", "in {his} coat pocket", "behind the big chair",
};
static const char *const search_places[] = {
  "under the bed", "in the toy box", "behind the door", "in the kitchen", "by the window",
  "under the table", "in {his} bag", "in the garden", "on the shelf", "in the car",
};
static const struct { const char *with_article, *noun; } foods[] = {
  { "a cookie", "cookie" }, { "an apple", "apple" }, { "a sandwich", "sandwich" },
  { "a muffin", "muffin" }, { "a banana", "banana" }, { "a pear", "pear" },
  { "an orange", "orange" }, { "a cupcake", "cupcake" }, { "a big carrot", "carrot" },
  { "a slice of pie", "pie" }, { "a piece of cake", "cake" }, { "a bun", "bun" },
};
static const char *const places_out[] = {
  "park", "garden", "meadow", "forest", "beach", "pond", "hill", "farm", "playground", "field",
  "river", "lake",
};
static const char *const weekdays[] = {
  "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};

/* ---- the cast ---------------------------------------------------------------------------------- */

typedef enum { HUMAN, ANIMAL } Kind;

/* Sets {p}name, {p}he, {p}him, {p}his, {p}kind for a new character unlike the others. */
static void
cast (SmGen *g, const char *prefix, Kind kind, gboolean *girl_out)
{
  gboolean girl = sm_gen_chance (g, 50);
  const char *name;
  g_autofree char *k_name = g_strconcat (prefix, "name", NULL);
  g_autofree char *k_he = g_strconcat (prefix, "he", NULL);
  g_autofree char *k_him = g_strconcat (prefix, "him", NULL);
  g_autofree char *k_his = g_strconcat (prefix, "his", NULL);
  g_autofree char *k_kind = g_strconcat (prefix, "kind", NULL);
  g_autofree char *k_adj = g_strconcat (prefix, "adj", NULL);
  g_autofree char *k_self = g_strconcat (prefix, "himself", NULL);

  do
    {
      if (kind == ANIMAL)
        name = ONE_OF (g, pet_names);
      else
        name = girl ? ONE_OF (g, girl_names) : ONE_OF (g, boy_names);
    }
  while ((g_hash_table_contains (g->vars, "name") && strcmp (sm_gen_get (g, "name"), name) == 0) ||
         (g_hash_table_contains (g->vars, "fname") && strcmp (sm_gen_get (g, "fname"), name) == 0));

  sm_gen_set (g, k_name, name);
  sm_gen_set (g, k_he, girl ? "she" : "he");
  sm_gen_set (g, k_him, girl ? "her" : "him");
  sm_gen_set (g, k_his, girl ? "her" : "his");
  sm_gen_set (g, k_self, girl ? "herself" : "himself");
  if (kind == ANIMAL)
    sm_gen_set_noun (g, k_kind, ONE_OF (g, animal_kinds));
  else
    sm_gen_set_noun (g, k_kind, girl ? "girl" : "boy");
  sm_gen_set_noun (g, k_adj, ONE_OF (g, hero_adjs));
  if (girl_out)
    *girl_out = girl;
}

static void
cast_parent (SmGen *g)
{
  static const char *const parents[] = { "mom", "dad", "grandma", "grandpa" };
  const char *p = ONE_OF (g, parents);
  gboolean she = p[0] == 'm' || strcmp (p, "grandma") == 0;

  sm_gen_set (g, "parent", p);
  sm_gen_set (g, "phe", she ? "she" : "he");
  sm_gen_set (g, "phim", she ? "her" : "him");
  sm_gen_set (g, "phis", she ? "her" : "his");
}

static void
cast_story (SmGen *g, Kind kind)
{
  g_autofree char *obj = NULL;
  guint f = sm_gen_pick (g, COUNT_OF (foods));

  cast (g, "", kind, NULL);
  cast (g, "f", sm_gen_chance (g, 80) ? kind : (kind == HUMAN ? ANIMAL : HUMAN), NULL);
  cast_parent (g);
  sm_gen_set (g, "color", ONE_OF (g, colors));
  sm_gen_set (g, "objn", ONE_OF (g, toys));
  obj = g_strdup_printf ("%s %s", sm_gen_get (g, "color"), sm_gen_get (g, "objn"));
  sm_gen_set_noun (g, "obj", obj);
  sm_gen_set (g, "food", foods[f].noun);
  sm_gen_set (g, "a_food", foods[f].with_article);
  sm_gen_set (g, "place", ONE_OF (g, places_out));
  sm_gen_set (g, "day", ONE_OF (g, weekdays));
  sm_gen_set_render (g, "home", kind == ANIMAL ? ONE_OF (g, animal_homes) : ONE_OF (g, human_homes));
  sm_gen_set_render (g, "likes", kind == ANIMAL ? ONE_OF (g, animal_likes) : ONE_OF (g, human_likes));
}

/* ---- shared story parts -------------------------------------------------------------------------- */

static void
opening (SmGen *g)
{
  switch (sm_gen_pick (g, 6))
    {
    case 0:
      S (g, "Once upon a time, there was {a_adj} {kind} named {name}.");
      break;
    case 1:
      S (g, "Once upon a time, {a_adj} {kind} called {name} lived {home}.");
      break;
    case 2:
      S (g, "There once was {a_adj} {kind} named {name}. {He} lived {home}.");
      break;
    case 3:
      S (g, "{Name} was {a_adj} {kind} who lived {home}.");
      break;
    case 4:
      S (g, "Once upon a time, in a [little|quiet|sunny|faraway] [town|village|place], there lived {a_adj} {kind} named {name}.");
      break;
    default:
      S (g, "This is a story about {a_adj} {kind} named {name}.");
      break;
    }
  if (sm_gen_chance (g, 70))
    S (g, "[{He} loved to {likes}.|{He} liked to {likes} [every day|more than anything|with {his} friends].|Every day, {he} wanted to {likes}.]");
}

static void
moral (SmGen *g, const char *lesson)
{
  if (sm_gen_chance (g, 45))
    {
      S (g, "[{Name} learned that|That day, {name} learned that|And so {name} learned that] ");
      g_string_truncate (g->out, g->out->len - 1);   /* the template's trailing space */
      S (g, lesson);
    }
}

static void
happy_end (SmGen *g)
{
  switch (sm_gen_pick (g, 5))
    {
    case 0: S (g, "[It was the best day ever.|It was a [wonderful|very good|happy] day.]"); break;
    case 1: S (g, "From that day on, {name} and {fname} were [best friends|good friends|always together]."); break;
    case 2: S (g, "{Name} [smiled|went to bed] with a happy heart."); break;
    case 3: S (g, "[That night|When night came], {name} [fell asleep|slept] with a big smile on {his} face."); break;
    default: break;
    }
}

/* ---- stories ------------------------------------------------------------------------------------ */

static void
story_lost (SmGen *g)
{
  cast_story (g, sm_gen_chance (g, 70) ? HUMAN : ANIMAL);
  guint h = sm_gen_pick (g, COUNT_OF (hiding_places));
  sm_gen_set_render (g, "hidden", hiding_places[h]);
  /* the same place as the friend says it to the hero */
  g_autofree char *his = g_strdup (sm_gen_get (g, "his"));
  sm_gen_set (g, "his", "your");
  sm_gen_set_render (g, "hidden_say", hiding_places[h]);
  sm_gen_set (g, "his", his);
  sm_gen_set_render (g, "look1", ONE_OF (g, search_places));
  do
    sm_gen_set_render (g, "look2", ONE_OF (g, search_places));
  while (strcmp (sm_gen_get (g, "look1"), sm_gen_get (g, "look2")) == 0);

  opening (g);
  S (g, "{Name} had {a_obj}. [{He} loved it very much.|It was {his} favorite toy.|{He} took it everywhere.|{His} {parent} gave it to {him} [on {his} birthday|a long time ago].]");
  NL (g);
  S (g, "One [day|morning|evening], {name} [could not|couldn't] find {his} {objn}.");
  S (g, "{He} looked {look1}. [It was not there.|No {objn}.|Nothing.]");
  S (g, "{He} looked {look2}. [It was not there either.|Still no {objn}.|It was not there.]");
  S (g, "{Name} [felt sad|was very sad|began to cry|sat down on the floor]. \"[Where is my {objn}?|I lost my {objn}!|Where did my {objn} go?]\" {he} [said|cried|asked].");
  NL (g);
  if (sm_gen_chance (g, 60))
    {
      S (g, "[Just then|Then|Soon], {fname} [came by|came over to play|heard {him}]. \"[Don't worry|Do not be sad|It's okay], {name}. I will help you [look|find it],\" [said {fname}|{fhe} said].");
      S (g, "They looked [together|everywhere|in every room]. [At last|Then|After a while], {fname} [pointed|shouted|laughed]. \"Look! [Your {objn} is|It is] {hidden_say}!\"");
      S (g, "{Name} [laughed|smiled|jumped up and down]. \"Thank you, {fname}! You are a [good|true|great] friend.\"");
      NL (g);
      happy_end (g);
      moral (g, "[friends make hard things easy|it is good to ask for help|two can look better than one].");
    }
  else
    {
      S (g, "{His} {parent} [came in|heard {him}|saw {his} sad face]. \"Let's think,\" [said {his} {parent}|{phe} said]. \"Where did you play [last|this morning]?\"");
      S (g, "{Name} thought and thought. Then {he} remembered! {He} ran and looked {hidden}. There it was!");
      S (g, "\"[I found it|Here it is|My {objn}]!\" {name} [shouted|said with a big smile]. {He} gave {his} {parent} a big hug.");
      NL (g);
      S (g, "[From then on|After that], {name} always put {his} {objn} [in a safe place|back in the toy box|on the shelf by {his} bed].");
      moral (g, "[it helps to stop and think|a calm mind can find lost things].");
    }
}

static void
story_share (SmGen *g)
{
  cast_story (g, sm_gen_chance (g, 55) ? HUMAN : ANIMAL);
  opening (g);
  S (g, "One [day|afternoon|morning], {name} [had|got] {a_food} [from {his} {parent}|for a snack|as a treat]. It looked [so good|very tasty|yummy].");
  NL (g);
  S (g, "Then {fname} [came by|walked over|sat down next to {him}]. {Fhe} [looked at the {food}|did not have a snack|looked a little hungry].");
  if (sm_gen_chance (g, 60))
    {
      S (g, "{Name} [wanted to eat it all|did not want to share] [at first|]. \"It is mine,\" {he} [thought|said quietly].");
      S (g, "[But then|Then] {he} [saw|looked at] {fname}'s [sad|hungry] face. {He} [remembered how it feels to be hungry|thought about how {he} would feel].");
    }
  else
    S (g, "{Name} [smiled|did not think twice|knew just what to do].");
  S (g, "{He} gave half of the {food} to {fname}. \"[Here, this is for you|Let's share it|We can share],\" {he} said.");
  S (g, "\"[Thank you|Thanks], {name}!\" said {fname}. [{Fhe} smiled a big smile.|{Fhe} was so happy.]");
  NL (g);
  S (g, "They ate [together|side by side] [under a tree|on the steps|in the sun|by the window]. [The {food} tasted even better that way.|Sharing made them both happy.|It was the best snack ever.]");
  if (sm_gen_chance (g, 50))
    S (g, "The next day, {fname} shared {fhis} [cookies|grapes|berries|toys] with {name}.");
  moral (g, "[sharing makes everyone happy|a kind act comes back to you|sharing is caring].");
}

static void
story_fear (SmGen *g)
{
  cast_story (g, sm_gen_chance (g, 70) ? HUMAN : ANIMAL);
  opening (g);
  NL (g);
  switch (sm_gen_pick (g, 4))
    {
    case 0:
      S (g, "[But|Still,] {name} was afraid of the dark. At night, [the shadows|the shapes on the wall|the dark corners] looked [scary|like monsters].");
      S (g, "\"{Parent}, I can't sleep,\" {he} said. \"It is too dark.\"");
      S (g, "{His} {parent} [sat on the bed|turned on the lamp|held {his} hand]. \"Look,\" {phe} said. \"It is the same room [as in the day|you play in]. The shadow is just your [coat|chair|teddy bear].\"");
      S (g, "{Parent} gave {him} a [little night light|soft blanket|teddy bear to hold]. {Name} [took a deep breath|felt better|was not afraid anymore].");
      NL (g);
      S (g, "[Soon|After a while], {name} was fast asleep.");
      moral (g, "[the dark is not so scary when you look closely|being brave means trying even when you are afraid].");
      break;
    case 1:
      S (g, "One night, there was a [big|loud] storm. [\"Boom!\" went the thunder.|The thunder went boom!|Crash! The thunder was very loud.]");
      S (g, "{Name} [hid under the blanket|ran to {his} {parent}|shook with fear]. \"I [don't like|am scared of] the thunder!\" {he} [said|cried].");
      S (g, "{His} {parent} [hugged {him}|sat down next to {him}]. \"Thunder is just a big noise,\" {phe} said. \"It can't hurt you. Let's [sing a song|count the seconds|tell a story] until it goes away.\"");
      S (g, "So they did. [The storm got quieter and quieter.|Soon the rain was soft and gentle.]");
      NL (g);
      S (g, "In the morning, the sun came out. {Name} [smiled|felt brave]. \"I was not scared at the end,\" {he} said.");
      moral (g, "[a storm always ends|it helps to be close to someone you love].");
      break;
    case 2:
      S (g, "{Name} wanted to [swim in the lake|play in the water] with {fname}, but {he} was afraid of the water.");
      S (g, "\"Come in!\" called {fname}. \"The water is [nice|warm|fun]!\"");
      S (g, "{Name} [put one foot in|stood at the edge]. \"What if I [sink|go under]?\" {he} asked.");
      S (g, "{Fname} held out {fhis} hand. \"I will [stay with you|hold your hand]. We can go slowly.\"");
      S (g, "{Name} [took a deep breath|held on tight] and stepped in. The water was [cool|nice] and [not so scary after all|only up to {his} knees].");
      NL (g);
      S (g, "Soon {name} was [splashing|kicking] and laughing [with {fname}|in the sun]. \"This is fun!\" {he} shouted.");
      moral (g, "[new things are less scary with a friend|you can be brave one small step at a time].");
      break;
    default:
      S (g, "At the {place}, there was a [very tall|big|long] slide. {Name} looked up at it. \"It is too [high|big] for me,\" {he} said.");
      S (g, "{Fname} [went down first|was already at the top]. \"Wheee!\" {fhe} [shouted|laughed]. \"It is fun, {name}! Try it!\"");
      S (g, "{Name} climbed up [slowly|one step at a time]. At the top, {he} [closed {his} eyes|held on tight|took a deep breath].");
      S (g, "Then {he} let go. [Whoosh!|Zoom!|Wheee!] Down {he} went, [faster and faster|all the way to the bottom].");
      NL (g);
      S (g, "\"Again! Again!\" {name} [shouted|laughed]. {He} went down the slide [ten more times|again and again|until it was time to go home].");
      moral (g, "[trying something new can be fun|being brave can feel great].");
      break;
    }
}

static void
story_help_animal (SmGen *g)
{
  static const char *const cases[] = { "bird", "kitten", "duckling", "puppy", "turtle", "bee" };
  const char *c = ONE_OF (g, cases);

  cast_story (g, HUMAN);
  opening (g);
  S (g, "One [day|morning|afternoon], {name} [went for a walk|was playing|was walking home] [in|near|by] the {place}.");
  NL (g);
  if (strcmp (c, "bird") == 0)
    {
      S (g, "{He} saw a [little|small|tiny] [blue|brown|yellow] bird on the ground. It had a hurt wing and could not fly.");
      S (g, "\"Oh no, poor bird,\" said {name}. {He} [picked it up gently|put it in a soft box] and took it home.");
      S (g, "{Name} and {his} {parent} [gave the bird water and seeds|made it a warm bed]. Every day, {name} [looked after it|checked on it].");
      S (g, "After a [week|few days], the wing was better. {Name} opened {his} hands, and the bird flew up into the sky. It [sang a happy song|flew around {him} once], as if to say thank you.");
    }
  else if (strcmp (c, "kitten") == 0)
    {
      S (g, "{He} heard a small sound. \"Meow! Meow!\" A [little|tiny|gray|white] kitten was stuck up in a tree.");
      S (g, "\"Don't be scared, little kitten,\" said {name}. {He} [ran to get {his} {parent}|called {his} {parent}].");
      S (g, "{His} {parent} brought a ladder. [Slowly|Carefully], {phe} climbed up and brought the kitten down.");
      S (g, "The kitten [purred|rubbed its head on {name}'s hand]. {Name} [laughed|smiled]. \"You are safe now,\" {he} said.");
    }
  else if (strcmp (c, "duckling") == 0)
    {
      S (g, "{He} saw a [little|small|fluffy] duckling all alone. \"Peep, peep!\" it cried. It had lost its mother.");
      S (g, "\"I will help you find your mom,\" said {name}. {He} walked [slowly|carefully] to the pond, and the duckling followed {him}.");
      S (g, "At the pond, a mother duck was [looking everywhere|quacking loudly]. When she saw the duckling, she [flapped her wings|quacked with joy].");
      S (g, "The duckling ran to its mother. {Name} [waved goodbye|smiled] as the ducks swam away together.");
    }
  else if (strcmp (c, "puppy") == 0)
    {
      sm_gen_set (g, "pup", ONE_OF (g, pet_names));
      sm_gen_set_render (g, "owner", "[girl|boy|lady|man]");
      S (g, "{He} saw a [small|little|muddy] puppy sitting by the [road|gate|fence]. It looked lost and [hungry|cold].");
      S (g, "The puppy had a [red|blue] collar with a name on it. \"Your name is {pup},\" read {name}. \"Let's find your home.\"");
      S (g, "{Name} and {his} {parent} knocked on doors [down the street|all around the block]. At the last house, a {owner} opened the door and cried, \"{Pup}! You came back!\"");
      S (g, "The puppy wagged its tail and licked {name}'s hand. \"Thank you so much,\" said the {owner}.");
    }
  else if (strcmp (c, "turtle") == 0)
    {
      S (g, "{He} saw a [little|small|old] turtle on its back. Its feet were kicking in the air, but it could not turn over.");
      S (g, "{Name} [knelt down|bent down] and [gently|carefully] turned the turtle over. The turtle [looked at {him}|blinked its eyes].");
      S (g, "Then it walked [slowly|very slowly] back to the water. Splash! It swam away.");
    }
  else
    {
      S (g, "{He} saw a [tired|little|fuzzy] bee in a puddle. It was wet and could not fly.");
      S (g, "{Name} found a [leaf|small stick] and let the bee climb on it. {He} put it on a [warm|sunny] rock to dry.");
      S (g, "Soon the bee [buzzed its wings|was dry] and flew away to the flowers. \"Bye, little bee,\" said {name}.");
    }
  NL (g);
  S (g, "{Name} [felt warm inside|felt proud|smiled all the way home|told {his} friends all about it].");
  moral (g, "[it feels good to help others|even small friends need help sometimes|kindness makes the world better].");
}

static void
story_gift (SmGen *g)
{
  static const char *const gifts[] = {
    "a card", "a picture", "a cake", "a necklace of beads", "a paper flower", "a clay bowl",
  };
  const char *gift = ONE_OF (g, gifts);

  cast_story (g, sm_gen_chance (g, 70) ? HUMAN : ANIMAL);
  if (sm_gen_chance (g, 50))
    {
      sm_gen_set (g, "who", sm_gen_get (g, "parent"));
      sm_gen_set (g, "whop", sm_gen_get (g, "phis"));
      sm_gen_set (g, "whoh", sm_gen_get (g, "phe"));
      sm_gen_set (g, "whom", sm_gen_get (g, "phim"));
      sm_gen_set_render (g, "whofull", "{his} {parent}");
    }
  else
    {
      sm_gen_set (g, "who", sm_gen_get (g, "fname"));
      sm_gen_set (g, "whop", sm_gen_get (g, "fhis"));
      sm_gen_set (g, "whoh", sm_gen_get (g, "fhe"));
      sm_gen_set (g, "whom", sm_gen_get (g, "fhim"));
      sm_gen_set (g, "whofull", sm_gen_get (g, "fname"));
    }
  sm_gen_set (g, "gift", gift);
  sm_gen_set (g, "giftn", strchr (gift, ' ') + 1);
  opening (g);
  S (g, "[Soon|Tomorrow|On {day}] it was {whofull}'s birthday. {Name} wanted to make something special for {whom}.");
  S (g, "\"I will make {gift},\" {he} [said|decided].");
  NL (g);
  S (g, "{Name} got [some paper|paint and glue|everything {he} needed] and began to work. {He} worked [very hard|for a long time|all morning].");
  switch (sm_gen_pick (g, 3))
    {
    case 0: S (g, "But then, oh no! {He} [spilled|knocked over] a cup of [water|paint] on the {giftn}."); break;
    case 1: S (g, "But then a big gust of wind [came in through the window|blew across the table] and the {giftn} [fell on the floor|was ruined]."); break;
    default: S (g, "But then {his} [little brother|little sister|cat|dog] [bumped the table|jumped up] and the {giftn} [fell down|broke]."); break;
    }
  S (g, "{Name} [wanted to cry|felt like giving up|was very sad].");
  S (g, "[Then|But] {he} took a deep breath. \"I can [try again|start over|fix it],\" {he} said. And {he} did.");
  NL (g);
  S (g, "When {whofull} saw the {giftn}, {whoh} [smiled from ear to ear|gave {name} a big hug|said it was the best gift ever]. \"You made this for me?\" {whoh} asked. \"Thank you, {name}!\"");
  S (g, "{Name} [felt very proud|was so happy|smiled].");
  moral (g, "[a gift made with love is the best gift|it is good to keep trying|mistakes can be fixed].");
}

static void
story_trip (SmGen *g)
{
  static const struct { const char *place; const char *sights[5]; } trips[] = {
    { "beach", { "little crabs", "big waves", "pretty shells", "seagulls in the sky", "a boat far away" } },
    { "farm", { "cows in the field", "pink pigs in the mud", "a big red tractor", "hens and their eggs", "a baby goat" } },
    { "zoo", { "a tall giraffe", "funny monkeys", "a big gray elephant", "a sleepy lion", "colorful birds" } },
    { "forest", { "tall trees", "little mushrooms", "a deer drinking water", "an owl in a tree", "a busy squirrel" } },
    { "market", { "red apples", "bright flowers", "warm bread", "a man playing music", "big yellow lemons" } },
    { "lake", { "ducks on the water", "little fish", "a wooden bridge", "frogs on the rocks", "a white swan" } },
  };
  guint t = sm_gen_pick (g, COUNT_OF (trips));
  guint a = sm_gen_pick (g, 5), b, c;

  do b = sm_gen_pick (g, 5); while (b == a);
  do c = sm_gen_pick (g, 5); while (c == a || c == b);
  cast_story (g, sm_gen_chance (g, 75) ? HUMAN : ANIMAL);
  sm_gen_set (g, "trip", trips[t].place);
  sm_gen_set (g, "s1", trips[t].sights[a]);
  sm_gen_set (g, "s2", trips[t].sights[b]);
  sm_gen_set (g, "s3", trips[t].sights[c]);

  opening (g);
  S (g, "On {day}, {name} and {his} {parent} went to the {trip}. {Name} was [so excited|very happy|jumping up and down].");
  NL (g);
  S (g, "First, they saw {s1}. \"[Look|Wow|Look at that], {Parent}!\" said {name}.");
  S (g, "Then they saw {s2}. [{Name} laughed.|{Name} could not stop looking.|It was [so much fun|amazing].]");
  S (g, "[Later|After lunch], they saw {s3}. {Name} liked that part [the best|most of all].");
  if (sm_gen_chance (g, 50))
    S (g, "They ate [sandwiches|apples|a picnic lunch] [on a blanket|under a big tree|by the water]. {Name} [shared a piece with a bird|was very hungry].");
  NL (g);
  S (g, "At the end of the day, {name} was [tired but happy|very sleepy]. \"Can we come back [tomorrow|again|next week]?\" {he} asked.");
  S (g, "{His} {parent} [laughed|smiled]. \"[Maybe soon|Yes, we can|We will see],\" {phe} said.");
  if (sm_gen_chance (g, 50))
    S (g, "That night, {name} dreamed of {s1} and {s3}.");
}

static void
story_learn (SmGen *g)
{
  static const struct { const char *skill, *fail, *win; } skills[] = {
    { "ride a bike", "{he} fell down again and again", "rode all the way down the street without falling" },
    { "tie {his} shoes", "the laces got all tangled", "tied a perfect bow" },
    { "jump rope", "the rope kept hitting {his} feet", "jumped twenty times in a row" },
    { "whistle", "only air came out", "whistled a little song" },
    { "read a whole book", "the words were hard", "read the whole book to {his} {parent}" },
    { "climb the big tree", "{he} slipped on the first branch", "climbed all the way to the top branch" },
    { "throw a ball far", "the ball went only a little way", "threw the ball over the fence" },
    { "swim across the pool", "{he} stopped in the middle", "swam all the way across" },
  };
  guint s = sm_gen_pick (g, COUNT_OF (skills));

  cast_story (g, HUMAN);
  sm_gen_set_render (g, "skill", skills[s].skill);
  sm_gen_set_render (g, "fail", skills[s].fail);
  sm_gen_set_render (g, "win", skills[s].win);
  opening (g);
  S (g, "{Name} wanted to learn to {skill}. [{Fname} could already do it.|All {his} friends could do it.|{He} wanted it more than anything.]");
  NL (g);
  S (g, "{He} tried, but {fail}. \"[I can't do it|It is too hard|I will never learn],\" {name} said. {He} felt [sad|angry|like giving up].");
  S (g, "{His} {parent} [sat down next to {him}|gave {him} a hug]. \"Everyone [falls|makes mistakes] when they learn,\" {phe} said. \"[Keep trying|Try again tomorrow]. You can do it.\"");
  S (g, "So {name} [practiced|tried again] every day. [Some days were hard.|Little by little, {he} got better.|{He} did not give up.]");
  NL (g);
  S (g, "Then one [day|morning|afternoon], {he} {win}! \"I did it! I did it!\" {he} [shouted|cried]. {His} {parent} [clapped|cheered] and {fname} [cheered too|gave {him} a high five].");
  S (g, "{Name} was so proud of {himself}.");
  moral (g, "[practice makes things easier|if you keep trying, you can do hard things|it is okay to fall, as long as you get up again].");
}

static void
story_new_friend (SmGen *g)
{
  static const char *const games[] = {
    "tag", "hide and seek", "catch", "with blocks", "on the swings", "in the sandbox", "ball",
  };

  cast_story (g, sm_gen_chance (g, 70) ? HUMAN : ANIMAL);
  sm_gen_set (g, "game", ONE_OF (g, games));
  opening (g);
  S (g, "One [day|morning|Monday], a new {fkind} came to {name}'s [school|street|class|part of the forest]. {Fhe} was [shy|quiet|a little scared] and [sat alone|did not talk to anyone|stood by the wall].");
  NL (g);
  S (g, "{Name} [saw {fhim}|noticed {fhim}] and [walked over|went up to {fhim}]. \"Hi, I am {name},\" {he} said. \"What is your name?\"");
  S (g, "\"I am {fname},\" said the {fkind} [softly|with a small smile|in a quiet voice].");
  S (g, "\"Do you want to play {game}?\" asked {name}.");
  S (g, "{Fname} [smiled|nodded|looked up]. \"Yes, please!\"");
  NL (g);
  S (g, "They played [all afternoon|until the bell rang|until the sun went down]. {Fname} was not shy anymore. {Fhe} [laughed|talked] a lot and told {name} [funny jokes|about {fhis} old home|about {fhis} pet fish].");
  S (g, "[Now|Today] {name} and {fname} are best friends.");
  moral (g, "[a kind word can make a new friend|everyone needs a friend|it is good to say hello].");
}

static void
story_rainy (SmGen *g)
{
  static const char *const plans[] = {
    "build a fort with blankets", "bake cookies", "paint pictures", "read a story together",
    "play hide and seek", "make a puppet show", "build a tower of blocks",
  };

  cast_story (g, sm_gen_chance (g, 70) ? HUMAN : ANIMAL);
  sm_gen_set (g, "plan", ONE_OF (g, plans));
  opening (g);
  NL (g);
  S (g, "One [day|{day}], it was [rainy|gray and wet|cold and rainy]. {Name} could not go outside [to play|to the {place}].");
  S (g, "{He} [looked out the window|pressed {his} nose to the window] and [sighed|felt bored]. \"What can I do?\" {he} asked {his} {parent}.");
  S (g, "{His} {parent} had an idea. \"Let's {plan}!\" {phe} said.");
  S (g, "So they did. They [had so much fun|laughed and laughed|forgot all about the rain].");
  NL (g);
  S (g, "When the rain stopped, there was a [big|bright|beautiful] rainbow in the sky. {Name} [ran outside|jumped in a puddle|pointed at it].");
  S (g, "\"Rainy days are fun too!\" {he} said.");
}

static void
story_seed (SmGen *g)
{
  static const char *const grows[] = {
    "a big yellow flower", "a red tomato", "a tall sunflower", "little green beans",
    "a pink flower", "a round orange pumpkin",
  };

  cast_story (g, sm_gen_chance (g, 60) ? HUMAN : ANIMAL);
  sm_gen_set (g, "grow", ONE_OF (g, grows));
  opening (g);
  S (g, "One day, {name} [found|got] a little seed [in {his} pocket|from {his} {parent}|on the path].");
  S (g, "{He} planted it in [the garden|a pot by the window|the soft dirt] and gave it [some water|a drink of water].");
  NL (g);
  S (g, "Every day, {name} [watered the seed|looked at the pot|sang to the seed]. [At first, nothing happened.|For many days, nothing happened.]");
  S (g, "\"[Why is it not growing?|Will it ever grow?]\" {he} asked. \"Be patient,\" said {his} {parent}. \"Good things take time.\"");
  S (g, "Then one morning, {he} saw a tiny green [sprout|leaf]! {Name} [jumped with joy|ran to tell {his} {parent}|clapped {his} hands].");
  NL (g);
  S (g, "The plant grew [taller and taller|bigger every day]. Soon it had {grow}. {Name} [showed it to {fname}|was so happy|took good care of it].");
  moral (g, "[good things take time|patience helps things grow].");
}

static void
story_fable (SmGen *g)
{
  static const char *const quick[] = { "rabbit", "deer", "horse", "fox", "squirrel" };
  static const char *const slow[] = { "turtle", "snail", "hedgehog", "beetle" };
  static const char *const big[] = { "lion", "bear", "elephant", "tiger" };
  static const char *const tiny[] = { "mouse", "ant", "bird", "frog" };

  switch (sm_gen_pick (g, 3))
    {
    case 0:
      sm_gen_set (g, "a", ONE_OF (g, quick));
      sm_gen_set (g, "b", ONE_OF (g, slow));
      S (g, "Once upon a time, a [fast|proud|quick] {a} laughed at a slow {b}. \"You are so slow,\" said the {a}. \"I could win any race.\"");
      S (g, "\"Let's have a race,\" said the {b}. [All the animals came to watch.|The other animals gathered to see.]");
      NL (g);
      S (g, "The {a} ran very fast and was soon far ahead. \"I have lots of time,\" it thought. \"I will take a little nap.\" It lay down under a tree and fell asleep.");
      S (g, "The {b} did not stop. It went slowly, step by step, all the way [down the path|across the field|to the finish line].");
      S (g, "When the {a} woke up, the {b} had already won! [All the animals cheered.|The animals clapped and cheered.]");
      NL (g);
      S (g, "[The {a} learned that|That day the {a} learned that] slow and steady wins the race.");
      break;
    case 1:
      sm_gen_set (g, "a", ONE_OF (g, big));
      sm_gen_set (g, "b", ONE_OF (g, tiny));
      S (g, "Once upon a time, a big {a} was sleeping in the sun. A little {b} ran over its nose and woke it up.");
      S (g, "The {a} was angry. \"I will eat you!\" it roared. \"Please let me go,\" said the {b}. \"One day I may help you.\" The {a} laughed, but it let the {b} go.");
      NL (g);
      S (g, "A few days later, the {a} was caught in a [hunter's net|big net|tangle of ropes]. It roared and pulled, but it could not get free.");
      S (g, "The little {b} heard it. It came [quickly|as fast as it could] and [chewed|bit] through the ropes, one by one. Soon the {a} was free!");
      S (g, "\"Thank you, little friend,\" said the {a}. \"You were right.\"");
      NL (g);
      S (g, "[Even a small friend can be a big help.|No act of kindness is ever too small.]");
      break;
    default:
      S (g, "All summer long, a little ant worked hard. It carried [seeds|crumbs|grains of wheat] to its home, one by one.");
      S (g, "A grasshopper sat in the sun and played [music|its fiddle|songs]. \"Why do you work so hard?\" it asked. \"Come and play with me!\"");
      S (g, "\"I am saving food for the winter,\" said the ant. \"You should do the same.\" But the grasshopper only laughed.");
      NL (g);
      S (g, "When winter came, the ground was cold and white with snow. The grasshopper had no food. It was very hungry.");
      S (g, "It knocked on the ant's door. The ant [was kind and|felt sorry for it and] shared its food. \"Next summer, I will work too,\" said the grasshopper.");
      NL (g);
      S (g, "[It is wise to get ready for tomorrow.|Work first, and then you can play.]");
      break;
    }
}

/* ---- dialogues ----------------------------------------------------------------------------------- */

static void
dialogue_breakfast (SmGen *g)
{
  static const char *const breakfasts[] = {
    "pancakes", "eggs and toast", "a bowl of oats", "a banana and yogurt", "waffles", "cereal with milk",
  };
  cast (g, "", HUMAN, NULL);
  cast (g, "f", HUMAN, NULL);
  cast_parent (g);
  sm_gen_set (g, "bf", ONE_OF (g, breakfasts));
  S (g, "{Name} and {his} {parent} are in the kitchen. It is [early in the morning|a sunny morning|{day} morning].");
  NL (g);
  L (g, "{Parent}", "Good morning, {name}. Did you sleep well?");
  L (g, "{Name}", "[Yes, I did.|Yes. I had a dream about a [big blue whale|flying bus|talking cat].|Not really. I woke up in the night.]");
  L (g, "{Parent}", "What would you like for breakfast?");
  L (g, "{Name}", "Can I have {bf}, please?");
  L (g, "{Parent}", "[Of course.|Sure.|Yes, you can.] Do you want [milk|juice|water] too?");
  L (g, "{Name}", "[Yes, please.|No, thank you.|Just a little, please.]");
  if (sm_gen_chance (g, 60))
    {
      L (g, "{Parent}", "[Eat up|Eat well]. We have a [busy|big|fun] day today.");
      L (g, "{Name}", "What are we doing today?");
      L (g, "{Parent}", "[We are going to see grandma.|We are going to the {place}.|It is the first day of swimming class.]");
      L (g, "{Name}", "[Yay! I can't wait.|Really? That is great!|Can {fname} come too?]");
    }
  L (g, "{Parent}", "[Here you go.|Here is your breakfast.|Breakfast is ready.]");
  L (g, "{Name}", "Thank you, {Parent}. [It is yummy!|It smells so good!|You are the best.]");
}

static void
dialogue_play (SmGen *g)
{
  static const char *const games[] = { "tag", "hide and seek", "ball", "pirates", "on the swings", "in the sand" };
  cast (g, "", HUMAN, NULL);
  cast (g, "f", HUMAN, NULL);
  sm_gen_set (g, "game", ONE_OF (g, games));
  S (g, "{Name} and {fname} [meet at the gate|are on the way home from school|are sitting on the steps].");
  NL (g);
  L (g, "{Name}", "[Hi|Hello], {fname}! Do you want to go to the {place}?");
  L (g, "{Fname}", "[Yes!|Sure!|Okay!] What do you want to do there?");
  L (g, "{Name}", "We can play {game}.");
  L (g, "{Fname}", "[That sounds fun.|I love {game}!|Good idea.] [Can my little brother come too?|Should we bring a snack?|Do you have a ball?]");
  L (g, "{Name}", "[Yes, of course.|Yes, I will bring one.|Sure, the more the better.]");
  L (g, "{Fname}", "I have to ask my [mom|dad] first.");
  L (g, "{Name}", "Okay. I will wait [here|for you].");
  if (sm_gen_chance (g, 50))
    {
      L (g, "{Fname}", "[My mom said yes!|My dad said I can go.|I can go, but only for one hour.]");
      L (g, "{Name}", "[Great!|Yay!|Let's go!] [Race you there!|Come on!]");
    }
  else
    {
      L (g, "{Fname}", "[My mom said I have to do my homework first.|I can't go today. We are going to see my grandpa.]");
      L (g, "{Name}", "That is okay. [We can play tomorrow.|Maybe next time.]");
      L (g, "{Fname}", "Yes, tomorrow. [See you!|Bye, {name}!]");
    }
}

static void
dialogue_shop (SmGen *g)
{
  static const char *const fruits[] = { "apples", "pears", "oranges", "bananas", "lemons", "plums" };
  static const char *const counts[] = { "two", "three", "four", "five", "six" };
  cast (g, "", HUMAN, NULL);
  sm_gen_set (g, "fruit", ONE_OF (g, fruits));
  sm_gen_set (g, "count", ONE_OF (g, counts));
  sm_gen_set (g, "fruit2", ONE_OF (g, fruits));
  S (g, "{Name} goes to the [shop|market|little shop on the corner] to buy fruit.");
  NL (g);
  L (g, "Shopkeeper", "[Hello!|Good morning!|Hi there!] How can I help you?");
  L (g, "{Name}", "I would like {count} {fruit}, please.");
  L (g, "Shopkeeper", "[Here you are.|Here they are.] They are [fresh today|very sweet|from my garden]. Anything else?");
  L (g, "{Name}", "[Do you have any {fruit2}?|How much is the bread?|No, thank you.]");
  L (g, "Shopkeeper", "[Yes, we do.|Yes, here.|That is all right.] That will be [two|three|four] coins, please.");
  L (g, "{Name}", "Here you go. [Thank you!|Thanks!|Have a nice day!]");
  L (g, "Shopkeeper", "[Thank you. Come again!|Have a nice day!|Bye now!]");
}

static void
dialogue_lost_pet (SmGen *g)
{
  static const char *const pets[] = { "cat", "dog", "rabbit", "puppy", "kitten", "parrot" };
  cast (g, "", HUMAN, NULL);
  cast (g, "f", HUMAN, NULL);
  sm_gen_set (g, "pet", ONE_OF (g, pets));
  sm_gen_set (g, "petname", ONE_OF (g, pet_names));
  sm_gen_set (g, "petshe", sm_gen_chance (g, 50) ? "Her" : "His");
  sm_gen_set (g, "color", ONE_OF (g, pet_colors));
  sm_gen_set (g, "place", ONE_OF (g, places_out));
  S (g, "{Name} runs up to {fname} [in the street|at the park|by the school gate].");
  NL (g);
  L (g, "{Name}", "{Fname}, have you seen my {pet}? {petshe} name is {petname}.");
  L (g, "{Fname}", "[Oh no!|I'm sorry!|Oh dear.] What does {petname} look like?");
  L (g, "{Name}", "{Petname} is small and {color}, with a [long tail|little pink nose|white spot on one ear].");
  L (g, "{Fname}", "I think I saw a {color} {pet} near the {place} [this morning|a little while ago].");
  L (g, "{Name}", "Really? Can you show me?");
  L (g, "{Fname}", "Yes, come with me.");
  L (g, "{Name}", "[Look! There is {petname}!|{Petname}! There you are!]");
  L (g, "{Fname}", "[{Petname} was chasing a butterfly.|{Petname} was sleeping under a bench.|{Petname} looks happy to see you.]");
  L (g, "{Name}", "Thank you, {fname}! [You are the best.|I was so worried.|Let's take {petname} home.]");
}

static void
dialogue_weather (SmGen *g)
{
  cast (g, "", HUMAN, NULL);
  cast (g, "f", HUMAN, NULL);
  switch (sm_gen_pick (g, 3))
    {
    case 0:
      S (g, "{Name} looks out of the window. Everything is white.");
      NL (g);
      L (g, "{Name}", "{Fname}, look outside! It is snowing!");
      L (g, "{Fname}", "[Wow!|Yay!|Snow!] Let's build a snowman.");
      L (g, "{Name}", "Okay! I will get my [hat|scarf|gloves] and my boots.");
      L (g, "{Fname}", "We need a carrot for the nose.");
      L (g, "{Name}", "And two [stones|buttons] for the eyes.");
      L (g, "{Fname}", "[Our snowman is so big!|Look, he has a hat!|He looks funny.]");
      L (g, "{Name}", "[Let's call him Mister Frost.|Let's make a snow dog too.|Now let's go in and drink hot milk.]");
      break;
    case 1:
      S (g, "It is a very hot day. {Name} and {fname} are [in the garden|on the porch|at the park].");
      NL (g);
      L (g, "{Fname}", "It is so hot today.");
      L (g, "{Name}", "[Let's get some water.|Let's sit in the shade.|Do you want to play in the sprinkler?]");
      L (g, "{Fname}", "[Yes! That is a good idea.|Yes, please.|Okay!]");
      L (g, "{Name}", "My [mom|dad] made lemonade. Do you want some?");
      L (g, "{Fname}", "Yes, please. Thank you!");
      L (g, "{Name}", "[This is much better.|Now I feel cool.|Ah, that is nice.]");
      break;
    default:
      S (g, "It is a windy day. {Name} and {fname} are on the hill with a kite.");
      NL (g);
      L (g, "{Name}", "The wind is [so strong|just right] today. Let's fly the kite!");
      L (g, "{Fname}", "You hold the string. I will run with the kite.");
      L (g, "{Name}", "Ready? Go!");
      L (g, "{Fname}", "[It is going up!|Look how high it is!|It is flying!]");
      L (g, "{Name}", "[It is higher than the trees!|It looks like a bird.|Hold on tight!]");
      L (g, "{Fname}", "[Can I hold the string now?|This is the best day.|Let's do this again tomorrow.]");
      L (g, "{Name}", "[Sure, here you go.|Yes, it is.|Okay!]");
      break;
    }
}

static void
dialogue_bedtime (SmGen *g)
{
  static const char *const tales[] = {
    "the brave little mouse", "the dragon who was afraid of the dark", "the moon and the stars",
    "the three bears", "the boat that sailed to the sea", "the big friendly giant",
  };
  cast (g, "", HUMAN, NULL);
  cast_parent (g);
  sm_gen_set (g, "tale", ONE_OF (g, tales));
  S (g, "It is time for bed. {Name} is in {his} pajamas.");
  NL (g);
  L (g, "{Parent}", "Time for bed, {name}. Did you brush your teeth?");
  L (g, "{Name}", "[Yes, I did.|Yes, look!|Not yet. I will do it now.]");
  L (g, "{Parent}", "Good. Which story do you want tonight?");
  L (g, "{Name}", "The one about {tale}, please.");
  L (g, "{Parent}", "[Again?|That is a good one.|Okay.] [You love that story.|All right.]");
  L (g, "{Name}", "Yes! It is my favorite.");
  L (g, "{Parent}", "[Okay, snuggle up.|Get under the blanket.] Once upon a time ...");
  L (g, "{Name}", "[I am sleepy now.|Can you leave the light on?|Can I have a glass of water?]");
  L (g, "{Parent}", "[Of course.|Yes, my love.] Good night, {name}. Sleep well.");
  L (g, "{Name}", "Good night, {Parent}. I love you.");
  L (g, "{Parent}", "I love you too.");
}

static void
dialogue_class (SmGen *g)
{
  static const struct { const char *q, *a; } quiz[] = {
    { "What color is the sky on a sunny day?", "It is blue." },
    { "How many legs does a spider have?", "A spider has eight legs." },
    { "What do bees make?", "Bees make honey." },
    { "Where do fish live?", "Fish live in the water." },
    { "What do we call a baby cat?", "A baby cat is a kitten." },
    { "What falls from the clouds when it rains?", "Rain falls from the clouds." },
    { "What do plants need to grow?", "Plants need water and sun." },
    { "Which animal says moo?", "A cow says moo." },
    { "What do we wear on our feet?", "We wear shoes and socks." },
    { "How many days are in a week?", "There are seven days in a week." },
  };
  guint a = sm_gen_pick (g, COUNT_OF (quiz)), b;

  do b = sm_gen_pick (g, COUNT_OF (quiz)); while (b == a);
  cast (g, "", HUMAN, NULL);
  cast (g, "f", HUMAN, NULL);
  S (g, "The children are in class. The teacher stands by the board.");
  NL (g);
  L (g, "Teacher", "[Good morning, class.|Hello, everyone.] Today we have a little quiz.");
  L (g, "Teacher", quiz[a].q);
  L (g, "{Name}", quiz[a].a);
  L (g, "Teacher", "[Very good, {name}!|That is right!|Well done.]");
  L (g, "Teacher", quiz[b].q);
  L (g, "{Fname}", "[Um, I am not sure.|I know! I know!|Is it a trick question?]");
  L (g, "Teacher", "[Take your time, {fname}.|Go on, {fname}.|No trick, {fname}.]");
  L (g, "{Fname}", quiz[b].a);
  L (g, "Teacher", "[Yes! Good job.|Great answer.|Excellent.] [Now it is time for a break.|Let's all clap for {fname}.|You are all so clever today.]");
}

static void
dialogue_grandma (SmGen *g)
{
  cast (g, "", HUMAN, NULL);
  sm_gen_set (g, "place", ONE_OF (g, places_out));
  S (g, "{Name} is talking to grandma on the phone.");
  NL (g);
  L (g, "Grandma", "Hello, {name}! How are you, dear?");
  L (g, "{Name}", "Hi, grandma! I am [fine|good|very happy today]. [I lost a tooth!|I can ride my bike now!|We went to the {place} today.]");
  L (g, "Grandma", "[Oh, how wonderful!|Really? That is great!|What a big day!] Tell me all about it.");
  L (g, "{Name}", "[It was so much fun.|I was a little scared at first, but then it was fun.|Mom says I was very brave.]");
  L (g, "Grandma", "I am so proud of you. [Are you coming to visit on {day}?|I have a surprise for you.|I baked your favorite cookies.]");
  L (g, "{Name}", "[Yes! I can't wait.|What is it?|Can you save some for me?]");
  L (g, "Grandma", "[You will see.|Of course, dear.|I will keep them for you.]");
  L (g, "{Name}", "I love you, grandma. Bye!");
  L (g, "Grandma", "I love you too, {name}. Bye-bye!");
}

/* ---- the plans --------------------------------------------------------------------------------- */

typedef void (*Plan) (SmGen *g);

/* Stories two to one over dialogues, plans weighted toward the richer ones. */
static const struct { Plan plan; guint weight; } plans[] = {
  { story_lost, 10 }, { story_share, 9 }, { story_fear, 10 }, { story_help_animal, 9 },
  { story_gift, 8 }, { story_trip, 9 }, { story_learn, 9 }, { story_new_friend, 8 },
  { story_rainy, 6 }, { story_seed, 6 }, { story_fable, 4 },
  { dialogue_breakfast, 5 }, { dialogue_play, 5 }, { dialogue_shop, 4 }, { dialogue_lost_pet, 5 },
  { dialogue_weather, 5 }, { dialogue_bedtime, 5 }, { dialogue_class, 5 }, { dialogue_grandma, 4 },
};

void
sm_corpus_tell (SmGen *g)
{
  guint total = 0, r;

  for (gsize i = 0; i < COUNT_OF (plans); i++)
    total += plans[i].weight;
  r = sm_gen_pick (g, total);
  /* words any plan may use without casting them */
  sm_gen_set (g, "day", ONE_OF (g, weekdays));
  sm_gen_set (g, "place", ONE_OF (g, places_out));
  for (gsize i = 0; i < COUNT_OF (plans); i++)
    {
      if (r < plans[i].weight)
        {
          plans[i].plan (g);
          break;
        }
      r -= plans[i].weight;
    }
}
